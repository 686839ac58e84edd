"""``rehabkit validate``: check protocol files and directories."""

from __future__ import annotations

import json

import click

from . import EXIT_CODES, AppState


@click.command(epilog=EXIT_CODES)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one 'path:line:col: CODE message [$.json.path]' line per finding; json: a report object.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for large batches (default: one per available core, for 64 files or more).",
)
@click.pass_obj
def validate(state: AppState, paths: tuple[str, ...], output_format: str, jobs: int | None) -> None:
    """Check protocol documents against the schema, then the lint rules.

    PATHS are .json, .yaml or .yml files, or directories searched recursively
    (hidden entries skipped). Files need not belong to an installed pack;
    exercises they name may come from installed exercise libraries.

    \b
    Examples:
      rehabkit validate protocols/
      rehabkit validate my-protocol.yaml --format json
    """
    from ..errors import ExitCode, Severity
    from ..validation import FAILURE_CODES, Checker, check_paths

    registry = state.registry(protocols=False)
    checker = Checker(library=registry.exercise_library(), rules=registry.rules())
    reports = check_paths(paths, checker, jobs=jobs)
    findings = [f for report in reports for f in report.findings]
    errors = [f for f in findings if f.severity is Severity.ERROR]
    invalid = {f.path for f in errors}
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "files": [
                        {
                            "path": r.path,
                            "valid": r.path not in invalid,
                            "findings": [f.to_dict() for f in r.findings],
                        }
                        for r in reports
                    ],
                    "summary": {"files": len(reports), "invalid": len(invalid), "findings": len(findings)},
                },
                indent=2,
            )
        )
    else:
        for finding in findings:
            click.echo(finding.format_text())
        files = len(reports)
        click.echo(
            f"{files} file{'s' if files != 1 else ''} checked: "
            + (f"{len(invalid)} invalid, {len(findings)} finding{'s' if len(findings) != 1 else ''}." if findings else "all valid."),
            err=True,
        )
    if any(f.code in FAILURE_CODES for f in findings):
        raise SystemExit(ExitCode.FAILURE)
    if errors:
        raise SystemExit(ExitCode.FINDINGS)
