"""``rehabkit export`` and ``rehabkit import``: protocols and patient courses as HL7 FHIR R4B or R5, and back.

The export is written by the ``fhir-r4b`` and ``fhir-r5`` renderers (pack
``core``), given a whole protocol or a patient's whole course. A course is
exported whatever its state: a paused, referred or discharged course is a
record, not a plan. docs/fhir.md has the mapping.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import click

from .._common.exit_codes import GENERAL_EXIT_CODES, ExitCode, exit_code_help
from .._common.text import visible
from . import AppState, echo
from .completion import complete_patients, complete_protocols
from .exits import error_exit
from .options import date_option, db_option
from .protocols import installed_checker, patient_protocol, resolve_protocol
from .rendering import render, write_export, write_output
from .stores import open_store, permitted, require_patient

__all__ = ["export", "import_protocol"]

_VERSIONS = click.Choice(["r4b", "r5"])


@click.command(epilog=exit_code_help((*GENERAL_EXIT_CODES, ExitCode.DAMAGED_RECORD)))
@click.argument("protocol_id", metavar="[PROTOCOL]", required=False, shell_complete=complete_protocols)
@click.option(
    "--patient",
    default=None,
    metavar="ID",
    shell_complete=complete_patients,
    help="Export this patient's course (a Bundle) instead of a protocol.",
)
@click.option(
    "--protocol",
    "course_protocol",
    default=None,
    metavar="ID",
    help="With --patient: the protocol of the course (needed only when the patient has more than one).",
)
@click.option("--fhir", "version", type=_VERSIONS, required=True, help="The FHIR version to write: r4b or r5.")
@click.option(
    "-o",
    "--output",
    default="-",
    metavar="FILE",
    help="The JSON file to write, whole or not at all (default: standard output).",
)
@date_option("the export is made for (with --patient)")
@db_option
@click.pass_obj
def export(
    state: AppState,
    protocol_id: str | None,
    patient: str | None,
    course_protocol: str | None,
    version: str,
    output: str,
    day: datetime.date,
    db: str | None,
) -> None:
    """Export PROTOCOL as a FHIR PlanDefinition, or a patient's course (--patient) as a FHIR Bundle.

    A protocol becomes a PlanDefinition (type clinical-protocol) with its
    exercises as contained ActivityDefinitions at each phase's dose, its red
    flags as a contained Questionnaire and its phases as actions with their
    criteria. A patient's course becomes a Bundle (type collection): the
    PlanDefinition, a CarePlan with the course's status, an Observation for
    every pain score, and QuestionnaireResponses for the red-flag answers and
    each outcome measure. The patient is named by the pseudonymous id only. A
    paused, referred or discharged course is exported too. See docs/fhir.md.

    \b
    Examples:
      rehabkit export neck-pain --fhir r5 -o neck-pain.fhir.json
      rehabkit export low-back-pain-acute --fhir r4b
      rehabkit export --patient P-0042 --fhir r4b -o P-0042.fhir.json
    """
    from .._outputs.exports import build_course_export, build_protocol_export

    if output != "-" and Path(output).suffix.lower() != ".json":
        raise click.BadParameter(f"{output!r}: FHIR is written as JSON, to a file ending in .json.", param_hint="'-o'")
    if patient is not None and protocol_id is not None:
        raise click.UsageError(
            f"give a PROTOCOL or --patient, not both: for {patient}'s course in {protocol_id}, "
            f"use --patient {patient} --protocol {protocol_id}."
        )
    if patient is None and protocol_id is None:
        raise click.UsageError("name a PROTOCOL, or a patient with --patient ID.")
    if patient is None and course_protocol is not None:
        raise click.UsageError("--protocol names the protocol of a patient's course: use it with --patient.")
    kind = "protocol" if patient is None else "patient-course"
    registry = state.registry()
    try:
        renderer = registry.renderer_for(kind, "json", f"fhir-{version}")
    except LookupError as exc:
        raise click.BadParameter(str(exc), param_hint="'--fhir'") from None
    if patient is None:
        protocol = resolve_protocol(state, str(protocol_id))[0]
        # A protocol that names an exercise nobody installed is refused here (resolve_protocol lints it); a renderer's
        # failure is reported by render with the pack's name.
        where = write_output(output, *render(renderer, build_protocol_export(registry, protocol)))
    else:
        with open_store(db, create=False) as store:
            require_patient(store, patient)
            permitted(store, "export-patient", registry.policy(), patient)
            protocol = patient_protocol(state, store, patient, course_protocol)
            body, binary = render(renderer, build_course_export(store, registry, patient, protocol, day))
            detail = {"format": f"fhir-{version}", "protocol": protocol.key}
            where = write_export(store, patient, output, body, detail, binary)  # the export is an audit entry
    if output != "-":
        what = f"the course of {patient} in {protocol.key}" if patient else protocol.key
        echo(f"Wrote {what} as FHIR {version.upper()} to {where}.", err=True)


@click.command("import", epilog=exit_code_help(GENERAL_EXIT_CODES))
@click.option(
    "--fhir",
    "source",
    required=True,
    metavar="FILE",
    help="The FHIR JSON file: a PlanDefinition 'rehabkit export' wrote, or a course Bundle holding one.",
)
@click.option(
    "-o",
    "--output",
    default="-",
    metavar="FILE",
    help="The protocol file to write: .yaml or .json (default: YAML on standard output).",
)
@click.pass_obj
def import_protocol(state: AppState, source: str, output: str) -> None:
    """Read a PlanDefinition that 'rehabkit export' wrote back into a protocol document.

    The document is checked like 'rehabkit validate' before it is written; a
    document with errors is not written (exit 1). An exercise from the
    installed library comes back as a reference by id. docs/fhir.md lists
    what a FHIR export does not carry back.

    \b
    Examples:
      rehabkit import --fhir neck-pain.fhir.json -o neck-pain-imported.yaml
    """
    from .._common.errors import Severity
    from .._documents.loader import load_text

    suffix = Path(output).suffix.lower() if output != "-" else ".yaml"
    if suffix not in (".yaml", ".yml", ".json"):
        raise click.BadParameter(f"{output!r}: write the protocol to a .yaml or .json file.", param_hint="'-o'")
    if not Path(source).exists():
        raise click.BadParameter(f"no file {source!r}.", param_hint="'--fhir'")
    document = _imported_document(source)
    if suffix == ".json":
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    else:
        import yaml

        text = (
            "# Imported from a FHIR PlanDefinition by 'rehabkit import' (docs/fhir.md says what FHIR does not carry).\n"
        )
        text += yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    name = output if output != "-" else "<standard output>"
    findings = installed_checker(state.registry()).check_document(
        load_text(text, path=name, fmt="json" if suffix == ".json" else "yaml")
    )
    errors = [f for f in findings if f.severity is Severity.ERROR]
    for finding in findings:
        echo(f"rehabkit: {'error' if finding in errors else 'warning'}: {finding.format_text()}", err=True)
    if errors:
        raise error_exit(
            ExitCode.FINDINGS, f"the protocol read from {source} does not validate, so it was not written."
        )
    where = write_output(output, text.encode("utf-8"))
    if output != "-":
        echo(f"Wrote the protocol {document['id']}@{document['version']} to {where}.", err=True)


#: Bounds on a FHIR file ``import`` reads: a course Bundle holds every session besides the PlanDefinition, so
#: it may be far larger than a protocol file; nesting stays that of protocol files (an export nests 9 deep).
FHIR_LIMITS_BYTES = 16 * 1024 * 1024


def _imported_document(source: str) -> dict[str, Any]:
    """The protocol document a FHIR file holds; exit 1 with one finding per problem (its FHIRPath) when the file
    is too large, too deep, not JSON or not a PlanDefinition as 'rehabkit export' writes it."""
    from .._common.errors import DocumentError
    from .._documents.loader import Limits, load_text, read_bytes
    from .._outputs.fhir.reader import NotAnExport, protocol_document

    limits = Limits(max_bytes=FHIR_LIMITS_BYTES, kind="FHIR export")
    try:
        resource = load_text(read_bytes(source, limits), path=source, fmt="json", limits=limits).data
    except DocumentError as exc:
        raise error_exit(ExitCode.FINDINGS, f"{exc.to_finding().format_text()} Nothing was imported.") from None
    if not isinstance(resource, dict):
        raise error_exit(
            ExitCode.FINDINGS, f"{source} holds no FHIR resource (a JSON object with a resourceType): nothing imported."
        )
    try:
        return protocol_document(resource)
    except NotAnExport as exc:
        for problem in exc.problems.kept:
            echo(f"rehabkit: error: {source}: {visible(str(problem))}", err=True)
        raise error_exit(ExitCode.FINDINGS, f"{source}: {visible(str(exc))} Nothing was imported.") from None
