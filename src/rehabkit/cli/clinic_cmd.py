"""``rehabkit clinic``: the patients who need a clinician's attention, most urgent first."""

from __future__ import annotations

import datetime
import json
from typing import Any

import click

from . import EXIT_CODES, AppState, echo
from .options import date_option, db_option, format_option, parse_date
from .stores import open_store


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime.date | None:
    return None if value is None else parse_date(value)


@click.command(epilog=EXIT_CODES)
@click.option(
    "--since",
    default=None,
    metavar="YYYY-MM-DD",
    callback=_since,
    help="Only patients with something recorded on or after this date (leaves out courses long ended).",
)
@click.option("--limit", type=click.IntRange(1), default=None, metavar="N",
              help="Show N courses a page (default: every course).")  # fmt: skip
@click.option("--page", "page_number", type=click.IntRange(1), default=1, show_default=True, metavar="P",
              help="With --limit: which page of the ranking to show.")  # fmt: skip
@date_option("to assess the courses on")
@format_option("text: one line a course, its reasons below; json: the ranked courses and their reasons as one object.")
@db_option
@click.pass_obj
def clinic(
    state: AppState,
    since: datetime.date | None,
    limit: int | None,
    page_number: int,
    day: datetime.date,
    output_format: str,
    db: str | None,
) -> None:
    """List the patients who need attention, most urgent first.

    Ranked by their most urgent reason: a course paused for urgent referral,
    then for review; pain worse over the last week (by the protocol's meaningful
    change) or no improvement over the phase's review period; a phase waiting
    only for a clearance or approval; an outcome measure due; no session for
    longer than the phase's sessions per week allow; a record to check (a
    surgeon's clearance transcribed from a letter, an urgent referral lifted, a
    clearance given again after its withdrawal); referred on. Every
    threshold is the protocol's own (docs/postgres.md says where each comes from).
    A patient whose stored record holds a row rehabkit cannot read is listed
    first, each such row named, and set aside; everyone else is assessed. Above
    them all: what a quick look at the audit trail finds wrong (its refusing
    triggers gone, an entry missing, the latest entries' chain broken); 'rehabkit
    audit verify' is the full check.

    With --limit N, N courses a page, --page P the P-th (ranks count from
    the first page).

    \b
    Examples:
      rehabkit clinic
      rehabkit clinic --since 2026-11-01 --format json
      rehabkit clinic --limit 50 --page 1
    """
    from .._sessions.clinic import Page, assess

    if page_number != 1 and limit is None:
        raise click.UsageError("--page P shows a page of --limit N courses: give --limit too.")

    registry = state.registry()
    measures = {key: r.item for key, r in registry.outcome_measures.items()}

    def find(protocol_id: str) -> Any:
        try:
            return registry.find_protocol(protocol_id).item
        except LookupError:
            return None

    with open_store(db, read_only=True) as store:
        trust_days = int(registry.policy()["staff"]["trust_event_days"])
        assessment = assess(store, find, measures, day, since, trust_days)
        from .._sessions.audit_check import quick_check

        trail = quick_check(store)
    try:
        page = Page.of(assessment.courses, limit, page_number)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--page'") from None
    if output_format == "json":
        click.echo(json.dumps({**_as_json(assessment, page, day, since), "audit_trail_problems": trail}, indent=2))
        return
    for problem in trail:
        echo(f"The audit trail does not verify: {problem}. Run 'rehabkit audit verify' (docs/security.md).")
    _print(assessment, page, day, since)


def _as_json(assessment: Any, page: Any, day: datetime.date, since: datetime.date | None) -> dict[str, Any]:
    from .._common.errors import DamagedRecord

    return {
        "date": day.isoformat(),
        "since": since.isoformat() if since else None,
        "patients_considered": assessment.considered,
        "courses_in_all": page.total,
        "page": page.number,
        "pages": page.pages,
        "courses": [dict(rank=n, **c.to_dict()) for n, c in enumerate(page.courses, page.first)],
        "damaged_records": [{**row.to_dict(), "what_to_do": DamagedRecord.remedy} for row in assessment.damaged],
    }


def _print(assessment: Any, page: Any, day: datetime.date, since: datetime.date | None) -> None:
    """The courses that need attention, one line a course with its reasons below; the damaged records first."""
    courses, damaged = assessment.courses, assessment.damaged
    scope = f" with records since {since.isoformat()}" if since else ""
    patients = len({c.patient for c in courses} | {row.patient for row in damaged})
    if not patients:
        echo(f"No patient needs attention on {day.isoformat()} ({assessment.considered} patients{scope}).")
        return
    echo(
        f"{patients} of {assessment.considered} patients{scope} need attention on {day.isoformat()}"
        + (", most urgent first:" if courses else ":")
    )
    if damaged:
        _print_damaged(damaged)
    if page.pages > 1:
        last = page.first + len(page.courses) - 1
        echo(f"Courses {page.first}-{last} of {page.total} (page {page.number} of {page.pages}):")
    width = len(str(len(courses)))
    for number, course in enumerate(page.courses, page.first):
        head = f"{number:>{width}}. {course.patient}  {course.protocol} ({course.phase}, {course.status})"
        echo(head)
        for reason in course.reasons:
            echo(f"{'':>{width}}   - {reason.kind}: {reason.text}")


def _print_damaged(damaged: list[Any]) -> None:
    from .._common.errors import DamagedRecord

    whose = sorted({row.patient for row in damaged})
    echo(
        f"Damaged records need attention: rehabkit cannot read these rows, so the course of {', '.join(whose)} is "
        "set aside (not assessed here, and every command on it refuses) until each row is corrected:"
    )
    for row in damaged:
        echo(f"  - {row.patient}: {row.describe()}")
    echo(f"  {DamagedRecord.remedy}")
