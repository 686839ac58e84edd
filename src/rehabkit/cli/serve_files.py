"""The files a clinician downloads from a patient's page of ``rehabkit serve``, made as the terminal makes them.

``handout --patient``, ``report``, ``calendar`` and ``export --patient --fhir`` build their content and render it with
the same renderers here: a download is the file the command would write, and a download the command would refuse
(a paused course's handout, a closed gate) is refused in its words.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import click

from . import AppState

__all__ = ["course_report", "patient_download"]

#: What each download is: (renderer kind, file type, renderer name or None, the file's ending, its media type).
_FILES = {
    "handout-html": ("patient-plan", "html", None, "handout.html", "text/html"),
    "handout-pdf": ("patient-plan", "pdf", None, "handout.pdf", "application/pdf"),
    "report-html": ("course-report", "html", None, "report.html", "text/html"),
    "report-pdf": ("course-report", "pdf", None, "report.pdf", "application/pdf"),
    "calendar": ("patient-plan", "ics", None, "plan.ics", "text/calendar"),
    "fhir-r4b": ("patient-course", "json", "fhir-r4b", "fhir-r4b.json", "application/fhir+json"),
    "fhir-r5": ("patient-course", "json", "fhir-r5", "fhir-r5.json", "application/fhir+json"),
}


def course_report(state: AppState) -> Callable[[Any, str, datetime.date], Any]:
    """``rehabkit report``'s content of a patient's course (their latest protocol), for the page's charts."""

    def report(store: Any, patient: str, day: datetime.date) -> Any:
        from .._outputs.report import build_report
        from .._sessions.course import load_course
        from .protocols import resolve_protocol

        registry = state.registry()
        protocol = resolve_protocol(state, store.protocols_of(patient)[-1], lint=False)[0]
        measures = {key: r.item for key, r in registry.outcome_measures.items()}
        course = load_course(store, patient, protocol, measures, day)
        return build_report(store, patient, course, measures, day, library=registry.exercise_library())

    return report


def patient_download(state: AppState) -> Callable[..., Any]:
    """The download function of the clinician's pages: store, patient, what (a key of
    :data:`rehabkit._web.clinic_pages.DOWNLOADS`), today, options (``large_print``; ``link``: a function making a
    new sign-in link, or None) -> :class:`~rehabkit._web.clinic_pages.Download`."""
    from .._web.clinic_pages import Download, DownloadRefused

    def download(store: Any, patient: str, what: str, day: datetime.date, options: dict[str, Any]) -> Download:
        kind, file_type, name, ending, media_type = _FILES[what]
        try:
            content = _content(state, store, patient, what, day, options)
            data, _ = _rendered(state, kind, file_type, name, content)
        except click.ClickException as exc:
            lines = [line.strip() for line in getattr(exc, "lines", ()) or (exc.format_message(),)]
            raise DownloadRefused([line.removeprefix("rehabkit: error: ") for line in lines if line]) from None
        return Download(f"{re.sub(r'[^A-Za-z0-9._-]', '_', patient)}-{ending}", media_type, data)

    return download


def _rendered(state: AppState, kind: str, file_type: str, name: str | None, content: Any) -> tuple[bytes, bool]:
    from .rendering import render

    return render(state.registry().renderer_for(kind, file_type, name), content)


def _content(state: AppState, store: Any, patient: str, what: str, day: datetime.date, options: dict[str, Any]) -> Any:
    """The content the terminal's command renders for ``what``."""
    from .output_cmds import _patient_handout
    from .protocols import resolve_protocol

    protocol = resolve_protocol(state, store.protocols_of(patient)[-1])[0]
    if what.startswith("report"):
        return course_report(state)(store, patient, day)
    if what.startswith("fhir"):
        from .._outputs.exports import build_course_export

        return build_course_export(store, state.registry(), patient, protocol, day)
    large = bool(options.get("large_print")) and what != "calendar"
    content = _patient_handout(state, store, patient, protocol, day, large_print=large)
    link = options.get("link")
    return _with_link(content, link()) if link is not None else content


def _with_link(handout: Any, link: tuple[str, str]) -> Any:
    """The handout with a new sign-in link and its QR code printed on it."""
    import attrs

    from .._outputs.content import SignInCode
    from .._outputs.qr import qr_data_uri

    url, until = link
    return attrs.evolve(handout, sign_in=SignInCode(url, until, qr_data_uri(url, "Your sign-in link")))
