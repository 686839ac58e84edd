"""``rehabkit history``, ``next-day`` and ``measure``: a patient's record in the session store."""

from __future__ import annotations

import json
from typing import Any

import click

from . import EXIT_CODES, AppState, format_option

DB_HELP = "Session store file (default: REHABKIT_DB, else rehabkit/rehabkit.sqlite3 under the user's data directory)."


def db_option(function: Any) -> Any:
    """The ``--db`` option shared by the commands that use the session store."""
    return click.option("--db", "db", type=click.Path(dir_okay=False), default=None, help=DB_HELP)(function)


def open_store(db: str | None) -> Any:
    """Open the session store, turning a failure into a clear error (exit 1)."""
    from ..store import Store, StoreError, default_db_path

    try:
        return Store(db or default_db_path())
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


def _check_patient(store: Any, patient: str) -> None:
    from ..store import StoreError

    try:
        store.ensure_patient(patient)
    except StoreError as exc:
        raise click.BadParameter(str(exc), param_hint="'PATIENT'") from None


@click.command(epilog=EXIT_CODES)
@click.argument("patient")
@click.option("--protocol", default=None, help="Only sessions of this protocol id.")
@format_option("text: a table of sessions; json: the patient's sessions and latest measures as one object.")
@db_option
def history(patient: str, protocol: str | None, output_format: str, db: str | None) -> None:
    """List PATIENT's sessions: date, protocol and phase, completion, pain before and after, decision.

    \b
    Examples:
      rehabkit history P-0042
      rehabkit history P-0042 --format json
    """
    with open_store(db) as store:
        sessions = store.sessions(patient, protocol)
        measures = store.latest_measures(patient)
    if output_format == "json":
        click.echo(json.dumps({"patient": patient, "sessions": [_session_dict(s) for s in sessions], "latest_measures": measures}, indent=2))
        return
    if not sessions:
        click.echo(f"no sessions recorded for {patient}.", err=True)
    else:
        click.echo(f"{'DATE':<11} {'PROTOCOL':<22} {'PHASE':<12} {'STATUS':<11} {'PAIN':<8} DECISION")
    for s in sessions:
        pain = f"{_pain(s.pain_before)}->{_pain(s.pain_after)}"
        click.echo(f"{s.started[:10]:<11} {s.protocol:<22} {s.phase:<12} {s.status:<11} {pain:<8} {s.decision or '-'}")
    for measure, value in sorted(measures.items()):
        click.echo(f"latest {measure}: {value:g}")


def _pain(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _session_dict(s: Any) -> dict[str, Any]:
    return {
        "id": s.id, "protocol": s.protocol, "version": s.version, "phase": s.phase, "started": s.started,
        "finished": s.finished, "status": s.status, "pain_before": s.pain_before, "pain_after": s.pain_after,
        "decision": s.decision, "detail": s.decision_detail,
    }


@click.command("next-day", epilog=EXIT_CODES)
@click.argument("patient")
@click.option("--pain", type=click.FloatRange(0, 10), required=True, help="Pain this morning, 0 (none) to 10 (worst imaginable).")
@db_option
def next_day(patient: str, pain: float, db: str | None) -> None:
    """Record PATIENT's pain the morning after a session; the next session's symptom rules use it.

    \b
    Examples:
      rehabkit next-day P-0042 --pain 3
    """
    with open_store(db) as store:
        _check_patient(store, patient)
        session = store.record_next_day(patient, pain)
        before = next((s.pain_before for s in store.sessions(patient) if s.id == session), None)
    if session is None:
        click.echo(f"next-morning pain {pain:g}/10 recorded for {patient}; there is no session yet to compare it with.")
    else:
        compared = f" (pain before that session: {before:g}/10)" if before is not None else ""
        click.echo(f"next-morning pain {pain:g}/10 recorded for {patient}, after session {session}{compared}.")


@click.command(epilog=EXIT_CODES)
@click.argument("patient")
@click.argument("measure_id", metavar="MEASURE")
@click.option("--score", "scores", multiple=True, metavar="ITEM=N", help="An item's score (repeatable); items not given are asked for.")
@click.option("--skip", "skips", multiple=True, metavar="ITEM", help="An item the patient left out (repeatable).")
@format_option("text: the score and its band; json: the score as one object.")
@db_option
@click.pass_obj
def measure(state: AppState, patient: str, measure_id: str, scores: tuple[str, ...], skips: tuple[str, ...],
            output_format: str, db: str | None) -> None:
    """Score and record an outcome measure (ODI, NDI, NPRS, ...) for PATIENT.

    Each item is scored from the official form (0-5 for ODI and NDI sections);
    a blank answer skips the item, which the published scoring rule allows
    for. Phase criteria such as odi-percent use the latest score.

    \b
    Examples:
      rehabkit measure P-0042 odi
      rehabkit measure P-0042 ndi --score pain-intensity=2 --skip driving ...
    """
    from ..outcomes import ScoringError

    try:
        outcome = state.registry(protocols=False, exercises=False).measure(measure_id)
    except LookupError as exc:
        raise click.BadParameter(str(exc), param_hint="'MEASURE'") from None
    items = {item.id: item for item in outcome.items}
    answers: dict[str, int | None] = {}
    for text in scores:
        key, _, value = text.partition("=")
        if key not in items or not value.strip().lstrip("-").isdigit():
            raise click.BadParameter(f"{text!r}: write ITEM=N with ITEM one of {', '.join(items)}.", param_hint="'--score'")
        answers[key] = int(value)
    for key in skips:
        if key not in items:
            raise click.BadParameter(f"{key!r} is not an item of {outcome.name}: {', '.join(items)}.", param_hint="'--skip'")
        answers[key] = None
    for item in outcome.items:
        if item.id not in answers:
            answers[item.id] = _ask_item(item)
    try:
        score = outcome.score(answers)
    except ScoringError as exc:
        raise click.ClickException(str(exc)) from None
    with open_store(db) as store:
        _check_patient(store, patient)
        store.record_measure(patient, outcome.id, score.value, score.unit, score.band, answers)
    if output_format == "json":
        click.echo(json.dumps({"patient": patient, "measure": outcome.id, "value": score.value, "unit": score.unit,
                               "band": score.band, "answered": score.answered, "skipped": list(score.skipped)}, indent=2))
    else:
        click.echo(f"{score.describe()}: recorded for {patient}.")


def _ask_item(item: Any) -> int | None:
    while True:
        text = click.prompt(f"{item.label} (0-{item.max}, blank to skip)", default="", show_default=False).strip()
        if not text:
            return None
        if text.isdigit() and 0 <= int(text) <= item.max:
            return int(text)
        click.echo(f"  please answer a whole number from 0 to {item.max}, or leave it blank.", err=True)
