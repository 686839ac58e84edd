"""``rehabkit serve``: the patient's session in a browser, on the course service and the session store.

Starlette and uvicorn (the ``serve`` extra) are imported only when the command runs. The command gives the application
the store's location, the course context of a protocol (from the installed packs, as ``run`` builds it) and the
terminal's own words for refusals and decisions, so that the browser says what the terminal says.
"""

from __future__ import annotations

from typing import Any

import attrs
import click

from .._common.exit_codes import GENERAL_EXIT_CODES, ExitCode, exit_code_help
from .._sessions.staff_sign_in import LOCK_MINUTES, MOST_FAILURES, STAFF_SESSION_HOURS
from . import AppState, echo
from .exits import error_exit
from .options import db_option
from .stores import open_store

__all__ = ["serve"]


@click.command(epilog=exit_code_help(GENERAL_EXIT_CODES))
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on: this machine only unless told (0.0.0.0: every interface).")  # fmt: skip
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="The port to listen on.")
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A TLS certificate (PEM): serve https (give --keyfile too).")  # fmt: skip
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The TLS certificate's private key (PEM).")  # fmt: skip
@click.option("--forwarded-allow-ips", default=None, metavar="ADDRESSES", envvar="FORWARDED_ALLOW_IPS",
              callback=lambda ctx, param, value: _addresses(value),
              help="Reverse proxies whose X-Forwarded-Proto, -For and -Host headers are trusted, comma-separated "
              "addresses or networks ('*': any) [default: 127.0.0.1,::1; env FORWARDED_ALLOW_IPS].")  # fmt: skip
@click.option("--staff-lockout-failures", default=MOST_FAILURES, show_default=True, type=click.IntRange(1, 1000),
              envvar="REHABKIT_STAFF_LOCKOUT_FAILURES", show_envvar=True,
              help="Refused staff sign-ins in a row that lock the staff id.")  # fmt: skip
@click.option("--staff-lockout-minutes", default=LOCK_MINUTES, show_default=True, type=click.IntRange(1, 7 * 24 * 60),
              envvar="REHABKIT_STAFF_LOCKOUT_MINUTES", show_envvar=True,
              help="How long a locked staff id stays locked after its last refused sign-in.")  # fmt: skip
@click.option("--staff-session-hours", default=STAFF_SESSION_HOURS, show_default=True,
              type=click.FloatRange(0.05, 7 * 24), envvar="REHABKIT_STAFF_SESSION_HOURS", show_envvar=True,
              help="How long a staff member stays signed in.")  # fmt: skip
@click.option("--check", is_flag=True, help="Check the store and the serve extra, say where it would listen, and exit.")
@click.pass_obj
def serve(
    state: AppState,
    db: str | None,
    host: str,
    port: int,
    certfile: str | None,
    keyfile: str | None,
    forwarded_allow_ips: str | None,
    staff_lockout_failures: int,
    staff_lockout_minutes: int,
    staff_session_hours: float,
    check: bool,
) -> None:
    """Serve the patient's session in a browser (needs the serve extra).

    A patient opens the sign-in link a clinician made ('rehabkit invite'),
    then does today's session one step a page: the red-flag questions, pain
    before, each exercise, pain after, new symptoms, and the decision and next
    plan, in the terminal's words, through the same course service and store as
    'rehabkit run'. The pages need no JavaScript. It listens on 127.0.0.1
    unless --host says otherwise; put it behind https (--certfile/--keyfile, or
    a reverse proxy) before patients reach it from their phones. Install with
    pip install 'rehabkit[serve]'. See docs/serve.md.

    \b
    Examples:
      rehabkit serve --check
      rehabkit serve --check --port 8443
    """
    if (certfile is None) != (keyfile is None):
        raise click.UsageError("https needs both --certfile and --keyfile.")
    try:
        import uvicorn  # noqa: F401

        from .._web.app import create_app
    except ImportError as exc:
        raise error_exit(
            ExitCode.USAGE,
            f"rehabkit serve needs the serve extra ({exc.name} is missing): pip install 'rehabkit[serve]'",
        ) from None
    with open_store(db):
        pass  # made (or upgraded) now, in this thread; the application opens its own connection
    scheme = "https" if certfile else "http"
    if check:
        echo(f"Ready: rehabkit serve would listen on {scheme}://{host}:{port}/ with the store {db or 'default'}.")
        return
    from .._sessions.staff_sign_in import SignInRules
    from .._web.proxy import behind_proxies

    rules = SignInRules(staff_lockout_failures, staff_lockout_minutes, staff_session_hours)
    site = _site(state, db, secure=certfile is not None)
    app = create_app(attrs.evolve(site, staff=attrs.evolve(site.staff, rules=rules)))
    echo(f"rehabkit serve: {scheme}://{host}:{port}/ (Ctrl-C stops it; open sessions are kept, marked incomplete)")
    _run(behind_proxies(app, forwarded_allow_ips), host, port, certfile, keyfile)


def _addresses(value: str | None) -> str | None:
    """``--forwarded-allow-ips`` checked: ``*``, or addresses and networks separated by commas."""
    import ipaddress

    for part in (value or "").split(","):
        if part.strip() not in ("", "*"):
            try:
                ipaddress.ip_network(part.strip(), strict=False)
            except ValueError:
                raise click.BadParameter(
                    f"{part.strip()!r} is not an address or network: give addresses such as 127.0.0.1,10.0.0.0/8, "
                    "or * for any.",
                    param_hint="'--forwarded-allow-ips'",
                ) from None
    return value


#: Seconds a stopping server waits for open requests (a clinician's overview keeps its event stream open) to end.
GRACE = 5


def _run(app: Any, host: str, port: int, certfile: str | None, keyfile: str | None) -> None:
    """Serve until Ctrl-C. No access log: a sign-in link's token is in the one URL that exchanges it."""
    import uvicorn

    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        access_log=False,
        log_level="warning",
        server_header=False,
        timeout_graceful_shutdown=GRACE,
        proxy_headers=False,
    )  # fmt: skip (the application takes them itself: rehabkit._web.proxy)


def _site(state: AppState, db: str | None, *, secure: bool) -> Any:
    """What the application serves from: the store, each protocol's course context, the terminal's words."""
    from .._web.app import ProgrammeUnavailable, Site
    from .._web.visits import Words
    from .patient_cmds import next_day_lines
    from .protocols import course_context, refuse_example, resolve_protocol
    from .refusals import describe_stop, gate_lines
    from .run_cmd import DECISION_PAUSE, SCREENING_PAUSE, decision_words, rest_day_words, screening_stop_words

    contexts: dict[str, Any] = {}

    def context(protocol_id: str) -> Any:
        if protocol_id not in contexts:
            try:
                protocol, _ = resolve_protocol(state, protocol_id)
                refuse_example(protocol, "a session")  # a sample, not for patients, as 'run' refuses it
            except click.ClickException as exc:  # not installed, refused by its findings, an example: run's words
                raise ProgrammeUnavailable(exc.format_message().removeprefix("rehabkit: error: ")) from None
            contexts[protocol_id] = course_context(state, protocol, session=True)
        return contexts[protocol_id]

    words = Words(
        stopped=describe_stop,
        gate=gate_lines,
        rest_day=rest_day_words,
        decision=decision_words,
        screening_stop=screening_stop_words,
        screening_pause=SCREENING_PAUSE,
        decision_pause=DECISION_PAUSE,
        morning=next_day_lines,
    )
    return Site(lambda: open_store(db, create=False), context, words, secure=secure, staff=_staff_words(state))


def _staff_words(state: AppState) -> Any:
    """What the clinician's pages take from the terminal's commands: ``clinic``'s assessment, the words of
    ``approve`` and ``review``, ``report``'s content and the files ``handout``, ``report``, ``calendar`` and
    ``export`` write."""
    from .._sessions.clinic import assess
    from .._web.staff_pages import StaffWords
    from .course_cmds import approved_lines, reviewed_lines
    from .serve_files import course_report, patient_download

    registry = state.registry()

    def find(protocol_id: str) -> Any:
        try:
            return registry.find_protocol(protocol_id).item
        except LookupError:
            return None

    def overview(store: Any, day: Any) -> Any:
        measures = {key: r.item for key, r in registry.outcome_measures.items()}
        return assess(store, find, measures, day, None, int(registry.policy()["staff"]["trust_event_days"]))

    return StaffWords(overview=overview, approved=approved_lines, reviewed=reviewed_lines, report=course_report(state),
                      download=patient_download(state))  # fmt: skip
