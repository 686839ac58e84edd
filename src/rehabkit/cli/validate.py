"""``rehabkit validate``: check protocol files and directories."""

from __future__ import annotations

import json
from typing import Any

import click

from .._common.text import visible
from . import EXIT_CODES, AppState, echo, format_option
from .completion import complete_rule_codes


@click.command(epilog=EXIT_CODES)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@format_option(
    "text: one 'path:line:col: CODE message [$.json.path]' line per finding; json: a report object; "
    "github: GitHub Actions workflow annotations.",
    more=("github",),
)
@click.option(
    "--select",
    "select",
    multiple=True,
    shell_complete=complete_rule_codes,
    metavar="CODES",
    help="Run only these lint rules: codes or prefixes, comma-separated or repeated (RK3,RK101).",
)
@click.option(
    "--ignore",
    "ignore",
    multiple=True,
    shell_complete=complete_rule_codes,
    metavar="CODES",
    help="Do not run these lint rules (codes or prefixes); wins over --select. Load and schema errors are always reported.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: one per core this process may use, and at most one per 250 files; "
    "fewer than 64 files run in one process).",
)
@click.option(
    "--strict",
    "fail_on_warnings",
    is_flag=True,
    help="Warnings fail too (exit 1), for CI. Not the same as 'rehabkit --strict', which makes a broken plugin pack fatal.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print the findings only, without the summary.")
@click.option("-v", "--verbose", is_flag=True, help="Also name every file checked, with 'ok' when it has no finding.")
@click.pass_obj
def validate(
    state: AppState,
    paths: tuple[str, ...],
    output_format: str,
    jobs: int | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on_warnings: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Check protocols and exercise libraries against their schema, then the lint rules.

    PATHS are .json, .yaml or .yml files, or directories searched recursively
    (hidden entries skipped). Files need not belong to an installed pack;
    exercises they name may come from installed exercise libraries or from
    exercise-library documents among PATHS. 'rehabkit rules' lists the rules.

    A document accepts a lint finding on purpose with a reason: in YAML a
    comment '# rehabkit: ignore[RK204] reason' on the finding's line (or the
    line above), in any document a 'suppress' entry
    {code, path, reason}. A suppression without a reason is an error (RK011);
    one that matches nothing is reported (RK012). Two files holding the same
    id and version are an error (RK013). Lint rules run on a document once it
    matches the schema: the summary says which did not get that far.

    \b
    Examples:
      rehabkit validate protocols/
      rehabkit validate my-protocol.yaml --format json
      rehabkit validate protocols/ --ignore RK204 --format github
      rehabkit validate protocols/ --strict
    """
    from .._common.errors import ExitCode, Severity
    from .._common.lazy import LazyMapping
    from .._documents.lint import RuleSelection
    from .._documents.validation import FAILURE_CODES, Checker, check_paths

    registry = state.registry(protocols=False, exercises=False, renderers=False)
    rules = registry.rules()
    selection = RuleSelection(select=_codes(select), ignore=_codes(ignore))
    unmatched = selection.unmatched(rule.code for rule in rules)
    if unmatched:
        raise click.UsageError(
            f"no installed lint rule matches {', '.join(map(repr, unmatched))}; 'rehabkit rules' lists them."
        )
    checker = Checker(
        policy=registry.policy(),
        measure_scales=registry.measure_scales() or None,
        # the installed libraries, read only if a document names an exercise it does not define itself
        library=LazyMapping(
            lambda: state.registry(protocols=False, measures=False, renderers=False).exercise_library()
        ),
        rules=selection.apply(rules),
        known_codes=frozenset(rule.code for rule in rules),
    )
    reports = check_paths(paths, checker, jobs=jobs)
    findings = [f for report in reports for f in report.findings]
    errors = [f for f in findings if f.severity is Severity.ERROR]
    warnings = [f for f in findings if f.severity is Severity.WARNING]
    invalid = {f.path for f in errors}
    # Lint rules run only on a document that reads and matches the schema; say which did not get that far.
    unlinted = {r.path for r in reports if any(f.code in _BEFORE_LINT for f in r.findings)}
    if output_format == "json":
        echo(
            json.dumps(
                {
                    "files": [
                        {
                            "path": r.path,
                            "valid": r.path not in invalid,
                            "linted": r.path not in unlinted,
                            "findings": [f.to_dict() for f in r.findings],
                        }
                        for r in reports
                    ],
                    "summary": {
                        "files": len(reports),
                        "invalid": len(invalid),
                        "findings": len(findings),
                        "warnings": len(warnings),
                        "not_linted": len(unlinted),
                    },
                },
                indent=2,
            )
        )
    else:
        colour = state.colour() and output_format == "text"
        for report in reports:
            if verbose and output_format == "text" and not report.findings:
                click.echo(f"{visible(report.path)}: " + state.style("ok", fg="green"), color=colour)
            for finding in report.findings:
                if output_format == "text":
                    click.echo(_coloured(finding) if colour else finding.format_text(), color=colour)
                else:
                    echo(_annotation(finding))
        if quiet:
            pass
        elif findings:
            files = len(reports)
            summary = f"{files} file{'s' if files != 1 else ''} checked: {len(invalid)} invalid, {len(findings)} finding{'s' if len(findings) != 1 else ''}."
            click.echo(
                state.style(summary, err=True, fg="red" if errors else "yellow", bold=True),
                err=True,
                color=state.colour(err=True),
            )
        else:
            files = len(reports)
            click.echo(f"{files} file{'s' if files != 1 else ''} checked: all valid.", err=True)
        if unlinted and not quiet:
            echo(
                f"Lint rules did not run on {len(unlinted)} file{'s' if len(unlinted) != 1 else ''} that could not be read "
                "or do not match the schema: fix those findings first, then validate again for the lint findings.",
                err=True,
            )
    if any(f.code in FAILURE_CODES for f in findings):
        raise SystemExit(ExitCode.FAILURE)
    if errors or (fail_on_warnings and warnings):
        raise SystemExit(ExitCode.FINDINGS)


#: Findings that stop a document before the lint rules: it could not be read, or does not match the schema.
_BEFORE_LINT = frozenset({*(f"RK00{n}" for n in range(1, 10)), "RK020"})


def _coloured(finding: Any) -> str:
    """A finding's text line with its code in red (an error) or yellow (a warning)."""
    from .._common.errors import Severity

    text: str = finding.format_text()
    colour = "yellow" if finding.severity is Severity.WARNING else "red"
    marker = f": {finding.code} "
    at = text.find(marker, len(visible(finding.path)))  # after the file name, which may hold anything
    if at < 0:
        return text
    return f"{text[:at]}: {click.style(finding.code, fg=colour, bold=True)} {text[at + len(marker) :]}"


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(code.strip().upper() for value in values for code in value.split(",") if code.strip())


def _annotation(finding: Any) -> str:
    """A GitHub Actions workflow command: ``::error file=F,line=L,col=C,title=CODE::message``."""
    from .._common.errors import Severity

    level = "warning" if finding.severity is Severity.WARNING else "error"
    properties = [f"file={_escape(finding.path, True)}"]
    if finding.line is not None:
        properties += [f"line={finding.line}", f"col={finding.column or 1}"]
    properties.append(f"title={_escape(finding.code, True)}")
    message = finding.message + (f" [{finding.json_path}]" if finding.json_path and finding.json_path != "$" else "")
    return f"::{level} {','.join(properties)}::{_escape(message, False)}"


def _escape(text: str, is_property: bool) -> str:
    # GitHub's rules for workflow command data and properties.
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if is_property:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text
