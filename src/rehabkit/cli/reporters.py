"""How ``rehabkit validate`` reports its findings: one reporter for each ``--format`` (text, json, github).

A reporter is given the checked files' reports gathered in :class:`CheckResults` and writes the findings to
standard output; the text and github reporters add the summary on standard error (left out with ``--quiet``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import click

from .._common.exit_codes import ExitCode
from .._common.text import visible
from . import echo

if TYPE_CHECKING:
    from .._common.errors import Finding
    from .._documents.validation import FileReport
    from . import AppState

__all__ = ["REPORTERS", "CheckResults", "annotation", "coloured", "report_github", "report_json", "report_text"]

#: Findings that stop a document before the lint rules: it could not be read, or does not match the schema.
BEFORE_LINT = frozenset({*(f"RK00{n}" for n in range(1, 10)), "RK020"})


class CheckResults:
    """The reports of the files checked, and their findings counted as the summaries and the exit code need."""

    def __init__(self, reports: Sequence[FileReport]) -> None:
        from .._common.errors import Severity

        self.reports = reports
        self.findings = [f for report in reports for f in report.findings]
        self.errors = [f for f in self.findings if f.severity is Severity.ERROR]
        self.warnings = [f for f in self.findings if f.severity is Severity.WARNING]
        #: The files with an error.
        self.invalid = {f.path for f in self.errors}
        #: The files the lint rules did not run on: they could not be read, or do not match the schema.
        self.unlinted = {r.path for r in reports if any(f.code in BEFORE_LINT for f in r.findings)}

    def exit_code(self, *, fail_on_warnings: bool) -> ExitCode:
        """3 when rehabkit or a rule failed on a file, 1 for an error (or a warning, ``fail_on_warnings``), else 0."""
        from .._documents.validation import FAILURE_CODES

        if any(f.code in FAILURE_CODES for f in self.findings):
            return ExitCode.FAILURE
        if self.errors or (fail_on_warnings and self.warnings):
            return ExitCode.FINDINGS
        return ExitCode.OK


def report_text(state: AppState, results: CheckResults, *, quiet: bool, verbose: bool) -> None:
    """One 'path:line:col: CODE message [$.json.path]' line per finding, the code coloured by its severity;
    with ``verbose`` also 'path: ok' for each file without one."""
    colour = state.colour()
    for report in results.reports:
        if verbose and not report.findings:
            click.echo(f"{visible(report.path)}: " + state.style("ok", fg="green"), color=colour)
        for finding in report.findings:
            click.echo(coloured(finding) if colour else finding.format_text(), color=colour)
    _summary(state, results, quiet=quiet)


def report_json(state: AppState, results: CheckResults, *, quiet: bool, verbose: bool) -> None:
    """One report object: each file with its findings, and the counts (no summary on standard error)."""
    click.echo(  # JSON in ASCII: every control character in a path or a message is escaped
        json.dumps(
            {
                "files": [
                    {
                        "path": r.path,
                        "valid": r.path not in results.invalid,
                        "linted": r.path not in results.unlinted,
                        "findings": [f.to_dict() for f in r.findings],
                    }
                    for r in results.reports
                ],
                "summary": {
                    "files": len(results.reports),
                    "invalid": len(results.invalid),
                    "findings": len(results.findings),
                    "warnings": len(results.warnings),
                    "not_linted": len(results.unlinted),
                },
            },
            indent=2,
        )
    )


def report_github(state: AppState, results: CheckResults, *, quiet: bool, verbose: bool) -> None:
    """A GitHub Actions workflow annotation per finding."""
    for report in results.reports:
        for finding in report.findings:
            echo(annotation(finding))
    _summary(state, results, quiet=quiet)


#: The reporter of each ``--format``.
REPORTERS: dict[str, Callable[..., None]] = {"text": report_text, "json": report_json, "github": report_github}


def _summary(state: AppState, results: CheckResults, *, quiet: bool) -> None:
    """How many files were checked and found invalid, and which the lint rules did not run on (standard error)."""
    if quiet:
        return
    files = len(results.reports)
    found = len(results.findings)
    if found:
        summary = (
            f"{files} file{'s' if files != 1 else ''} checked: {len(results.invalid)} invalid, "
            f"{found} finding{'s' if found != 1 else ''}."
        )
        click.echo(
            state.style(summary, err=True, fg="red" if results.errors else "yellow", bold=True),
            err=True,
            color=state.colour(err=True),
        )
    else:
        click.echo(f"{files} file{'s' if files != 1 else ''} checked: all valid.", err=True)
    unlinted = len(results.unlinted)
    if unlinted:
        echo(
            f"Lint rules did not run on {unlinted} file{'s' if unlinted != 1 else ''} that could not be read "
            "or do not match the schema: fix those findings first, then validate again for the lint findings.",
            err=True,
        )


def coloured(finding: Finding) -> str:
    """A finding's text line with its code in red (an error) or yellow (a warning)."""
    from .._common.errors import Severity

    text: str = finding.format_text()
    colour = "yellow" if finding.severity is Severity.WARNING else "red"
    marker = f": {finding.code} "
    at = text.find(marker, len(visible(finding.path)))  # after the file name, which may hold anything
    if at < 0:
        return text
    return f"{text[:at]}: {click.style(finding.code, fg=colour, bold=True)} {text[at + len(marker) :]}"


def annotation(finding: Finding) -> str:
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
