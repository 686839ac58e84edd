"""``rehabkit invite``: a patient's single-use, expiring sign-in link to their pages (``rehabkit serve``)."""

from __future__ import annotations

import datetime
import re

import click

from .._common.exit_codes import GENERAL_EXIT_CODES, exit_code_help
from . import echo
from .options import db_option, patient_argument
from .stores import open_store, permitted, require_patient

__all__ = ["invite"]

_DURATION = re.compile(r"(\d+)([dh])")


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> datetime.timedelta:
    """``7d`` (days) or ``12h`` (hours), at most 30 days."""
    match = _DURATION.fullmatch(value.strip())
    if match is None or int(match.group(1)) == 0:
        raise click.BadParameter(f"{value!r} is not a duration: give days or hours, such as 7d or 12h.")
    number, unit = int(match.group(1)), match.group(2)
    span = datetime.timedelta(days=number) if unit == "d" else datetime.timedelta(hours=number)
    if span > datetime.timedelta(days=30):
        raise click.BadParameter(f"{value} is longer than 30 days: a sign-in link is for the weeks ahead, not more.")
    return span


@click.command(epilog=exit_code_help(GENERAL_EXIT_CODES))
@patient_argument()
@click.option(
    "--expires",
    default="7d",
    show_default=True,
    callback=_duration,
    metavar="DURATION",
    help="How long the link stays valid: days (7d) or hours (12h), at most 30 days.",
)
@click.option(
    "--url",
    default="http://127.0.0.1:8000",
    show_default=True,
    metavar="URL",
    help="Where the patient reaches 'rehabkit serve' (the clinic's https address).",
)
@click.option(
    "--revoke", is_flag=True, help="Withdraw every link of the patient instead, and the sessions made with them."
)
@db_option
def invite(patient: str, expires: datetime.timedelta, url: str, revoke: bool, db: str | None) -> None:
    """Make a single-use sign-in link for a patient's own pages.

    The patient must be registered with the role patient ('rehabkit staff add
    P-0042 --role patient'); a physiotherapist, clinician or surgeon makes the
    link (the clinical policy's who_may_act, 'invite-patient'). The link signs
    in once, within --expires, and gives a session of 12 hours on this
    browser; the store keeps only a hash of it. Send it to the patient yourself
    (it is printed, never stored); a link used, expired or withdrawn shows a
    page asking the patient for a new one. See docs/serve.md.

    \b
    Examples:
      rehabkit invite P-0042
      rehabkit invite P-0042 --expires 2d --url https://rehab.example.org
      rehabkit invite P-0042 --revoke
    """
    from .._sessions.sign_in import make_link, revoke_links

    with open_store(db, create=False) as store:
        actor = permitted(store, "invite-patient", None, patient)
        require_patient(store, patient)
        if revoke:
            count = revoke_links(store, patient, actor)
            echo(f"Withdrew {count} sign-in link(s) of {patient} and the sessions made with them.")
            return
        token, until = make_link(store, patient, actor, expires)
    echo(f"Sign-in link for {patient} (single use, until {until.strftime('%Y-%m-%d %H:%M')} UTC):")
    echo(f"  {url.rstrip('/')}/sign-in/{token}")
