"""The options, arguments and parameter types the commands share (as click's own ``decorators.py`` holds its).

``--format``, ``--db``, ``--clinician``, ``--date``, ``--surgery-date``, the output file options, the PATIENT
argument (or ``--patient``), the PROTOCOL argument, staff ids and scores: each defined once, so that every
command that takes one spells, checks and explains it the same way.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = [
    "CLINICIAN_HELP",
    "DB_HELP",
    "PAIN_SCORE",
    "F",
    "Score",
    "check_staff_id",
    "clinician_option",
    "date_option",
    "db_option",
    "format_option",
    "output_options",
    "parse_date",
    "patient_argument",
    "protocol_argument",
    "surgery_date",
    "surgery_date_option",
    "warn_password_in_argv",
]

#: A command function, as click's decorators take and return it.
F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = (
    "Session store: a SQLite file, or postgresql://USER@HOST/DBNAME for a clinic's PostgreSQL database "
    "(default: REHABKIT_DB, else rehabkit/rehabkit.sqlite3 under the user's data directory)."
)
CLINICIAN_HELP = (
    "The clinician recording this, a pseudonymous staff id kept with every record it makes (default: "
    "REHABKIT_CLINICIAN; none for a patient's own session at home)."
)


def format_option(help: str, *, more: tuple[str, ...] = ()) -> Callable[[F], F]:
    """The ``--format text|json`` option every command with two kinds of output shares (``more``: extra formats)."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json", *more]),
        default="text",
        show_default=True,
        help=help,
    )


def db_option(function: F) -> F:
    """The ``--db`` option shared by the commands that use the session store."""
    return click.option(
        "--db",
        "db",
        type=click.Path(dir_okay=False),
        default=None,
        metavar="FILE|URL",
        callback=warn_password_in_argv,
        help=DB_HELP,
    )(function)


def warn_password_in_argv(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Warn (on standard error, never showing it) when a store's URL given on the command line holds a password:
    every user of the machine can read a command line in the process list (``ps``), but not its environment."""
    from .._sessions.locations import holds_password

    if value is not None and holds_password(value):
        name = param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
        click.echo(
            f"rehabkit: warning: the PostgreSQL URL given as {name} holds a password, which "
            "any user of this machine can read in the process list (ps) while rehabkit runs. Leave it out of the "
            "URL: libpq reads it from ~/.pgpass (or the file PGPASSFILE names), a service file "
            "(postgresql://?service=NAME with PGSERVICEFILE), or PGPASSWORD; or give the whole URL in REHABKIT_DB. "
            "See docs/postgres.md.",
            err=True,
        )
    return value


def clinician_option(function: F) -> F:
    """``--clinician ID`` (else ``REHABKIT_CLINICIAN``): who makes the records a command writes."""
    return click.option(
        "--clinician",
        "clinician",
        default=None,
        metavar="ID",
        envvar="REHABKIT_CLINICIAN",
        callback=_check_clinician,
        help=CLINICIAN_HELP,
    )(function)


def _check_clinician(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from .._sessions.store import PATIENT_ID

    if value is not None and not PATIENT_ID.fullmatch(value):
        raise click.BadParameter(
            f"{value!r} is not a staff id: use a pseudonymous code of letters, digits, '-', '_' "
            "or '.', never a name (from --clinician or REHABKIT_CLINICIAN)."
        )
    return value or None


def check_staff_id(by: str, option: str = "--by") -> None:
    """A usage error, naming ``option`` (the option that gave it), unless ``by`` is a pseudonymous staff id (the same
    form as patient ids)."""
    from .._sessions.store import PATIENT_ID

    if not PATIENT_ID.fullmatch(by):
        raise click.BadParameter(
            f"{by!r} is not a staff id: use a pseudonymous code of letters, digits, '-', '_' or '.', never a name.",
            param_hint=f"'{option}'",
        )


def parse_date(text: str, param_hint: str | None = None) -> datetime.date:
    """``YYYY-MM-DD`` as a date, or a usage error saying how to write one."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date: write YYYY-MM-DD.", param_hint=param_hint) from None


def _parse_day(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime.date:
    today = datetime.date.today()
    if value is None:
        return today
    day = parse_date(value)
    if day > today:
        raise click.BadParameter(
            f"{value} is in the future (today is {today.isoformat()}); record only what has happened."
        )
    return day


def date_option(what: str) -> Callable[[F], F]:
    """``--date YYYY-MM-DD``: the day ``what`` happened (default today, the local date); a future date is refused."""
    return click.option(
        "--date",
        "day",
        default=None,
        metavar="YYYY-MM-DD",
        callback=_parse_day,
        help=f"The day {what} (default: today). Use it to enter one done on paper; a future date is refused.",
    )


def surgery_date_option(help: str) -> Callable[[F], F]:
    """``--surgery-date YYYY-MM-DD`` (the parameter ``surgery_text``), read with :func:`surgery_date` against the
    command's ``--date``."""
    return click.option("--surgery-date", "surgery_text", default=None, metavar="YYYY-MM-DD", help=help)


def surgery_date(text: str | None, day: datetime.date) -> str | None:
    """The ``--surgery-date`` given, as YYYY-MM-DD (``None`` when none is), checked against ``day``: the date of
    the record it comes with (``--date``, default today). A surgery after that day is a usage error."""
    if text is None:
        return None
    from .._sessions.service import CourseRequestError, check_surgery_date

    surgery = parse_date(text, "'--surgery-date'")
    try:
        check_surgery_date(surgery, day)
    except CourseRequestError as exc:
        raise click.BadParameter(str(exc), param_hint="'--surgery-date'") from None
    return surgery.isoformat()


def patient_argument(then: str | None = None) -> Callable[[F], F]:
    """The patient a command is about: its first argument (``history P-0042``) or ``--patient ID``, the form
    ``run`` and ``handout`` use, so that ``--patient`` works on every patient command.

    ``then`` names the argument after PATIENT (``measure PATIENT MEASURE``): with ``--patient`` given, the first
    argument typed is that one.
    """
    import functools

    from .completion import complete_patients

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, patient: str | None = None, patient_option: str | None = None, **kwargs: Any) -> Any:
            if patient_option is not None:
                if patient is not None and then is not None and kwargs.get(then) is None:
                    kwargs[then], patient = patient, None  # `measure --patient P-1 odi`: odi is the measure
                if patient is not None and patient != patient_option:
                    raise click.UsageError(
                        f"two patients given, {patient!r} and --patient {patient_option!r}: give one."
                    )
                patient = patient_option
            if patient is None:
                raise click.UsageError("name the patient: PATIENT, or --patient ID.")
            if then is not None and kwargs.get(then) is None:
                raise click.UsageError(f"Missing argument '{then.split('_')[0].upper()}'.")
            return function(*args, patient=patient, **kwargs)

        wrapper = click.option(
            "--patient",
            "patient_option",
            default=None,
            metavar="ID",
            shell_complete=complete_patients,
            help="The patient, as an option (the same as the PATIENT argument).",
        )(wrapper)
        wrapper = click.argument("patient", metavar="PATIENT", required=False, shell_complete=complete_patients)(
            wrapper
        )
        return wrapper  # type: ignore[return-value]

    return decorate


def protocol_argument(function: F) -> F:
    """The PROTOCOL argument: an installed protocol id (``id`` or ``id@version``) or the path of a protocol file."""
    from .completion import complete_protocols

    return click.argument("protocol_id", metavar="PROTOCOL", shell_complete=complete_protocols)(function)


def output_options(function: F) -> F:
    """``-o FILE`` (its ending picks the format), ``--renderer NAME`` and ``--paper``: the printable outputs'."""
    function = click.option(
        "--paper",
        type=click.Choice(["a4", "letter"]),
        default="a4",
        show_default=True,
        help="Paper size of the printed page (HTML print and PDF).",
    )(function)
    function = click.option(
        "--renderer",
        "renderer_name",
        default=None,
        metavar="NAME",
        help="Use this renderer (see 'rehabkit plugins'); default: rehabkit's own for the file's ending.",
    )(function)
    return click.option(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="The file to write; its ending picks the format. '-' writes text formats to standard output.",
    )(function)


class Score(click.FloatRange):
    """A number in a closed range, refusing NaN and infinity (which compare false with any bound), and read as a
    prompt reads a typed number (:mod:`.typed_answers`): ``1_0``, ``1e1`` and ``²`` are refused."""

    name = "score"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import math

        from .typed_answers import read_number

        if isinstance(value, str):  # typed: read as a prompt reads it (3,5 is 3.5)
            typed, value = value, read_number(value)
            if value is None:
                shown = repr(typed) if len(typed) <= 12 else "that"
                self.fail(f"{shown} is not a number: give one from {self.min:g} to {self.max:g}.", param, ctx)
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a number: give one from {self.min:g} to {self.max:g}.", param, ctx)
        return number


#: A pain score as typed or given on the command line: 0 (none) to 10 (worst imaginable).
PAIN_SCORE = Score(0, 10)
