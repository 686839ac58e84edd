"""rehabkit's own renderers: HTML, PDF (with the ``pdf`` extra), Markdown, iCalendar and FHIR, registered as
pack ``core``.

Each function is imported only when a file is written, so registering them costs nothing.
"""

from __future__ import annotations

from typing import Any

from ..hookspecs import RegisterRenderer, hookimpl

_HANDOUTS = ("protocol-phase", "patient-plan")


def html(content: Any) -> str:
    """A handout or a course report as one self-contained HTML file."""
    from .._outputs.html import render_handout_html, render_report_html

    return render_report_html(content) if content.kind == "course-report" else render_handout_html(content)


def pdf(content: Any) -> bytes:
    """A handout or a course report as a tagged PDF (needs the ``pdf`` extra)."""
    from .._outputs.pdf import render_handout_pdf, render_report_pdf

    return render_report_pdf(content) if content.kind == "course-report" else render_handout_pdf(content)


def markdown(content: Any) -> str:
    """A handout as Markdown."""
    from .._outputs.markdown import render_handout_markdown

    return render_handout_markdown(content)


def icalendar(content: Any) -> str:
    """A patient's plan as an iCalendar file."""
    from .._outputs.calendar import render_calendar

    return render_calendar(content)


def fhir_r4b(content: Any) -> str:
    """A protocol as a PlanDefinition, or a patient's course as a Bundle, in HL7 FHIR R4B JSON."""
    from .._outputs.fhir import render

    return render(content, "r4b")


def fhir_r5(content: Any) -> str:
    """A protocol as a PlanDefinition, or a patient's course as a Bundle, in HL7 FHIR R5 JSON."""
    from .._outputs.fhir import render

    return render(content, "r5")


@hookimpl
def rehabkit_register_renderers(register: RegisterRenderer) -> None:
    """Register rehabkit's own output formats."""
    from .._outputs.content import Renderer

    everything = (*_HANDOUTS, "course-report")
    register(Renderer("html", everything, ("html", "htm"), html, "Self-contained HTML with print CSS (A4 or Letter)."))
    register(
        Renderer(
            "pdf", everything, ("pdf",), pdf, 'Tagged PDF (PDF/UA-1) through WeasyPrint: pip install "rehabkit[pdf]".'
        )
    )
    register(
        Renderer("markdown", _HANDOUTS, ("md", "markdown"), markdown, "Markdown handout, every pack string escaped.")
    )
    register(
        Renderer(
            "icalendar",
            ("patient-plan",),
            ("ics",),
            icalendar,
            "iCalendar (RFC 5545): sessions until the review, and the review date.",
        )
    )
    register(
        Renderer(
            "fhir-r4b",
            ("protocol", "patient-course"),
            ("json",),
            fhir_r4b,
            "HL7 FHIR R4B JSON: a protocol's PlanDefinition, a patient's course as a Bundle (docs/fhir.md).",
        )
    )
    register(
        Renderer(
            "fhir-r5",
            ("protocol", "patient-course"),
            ("json",),
            fhir_r5,
            "HL7 FHIR R5 JSON: a protocol's PlanDefinition, a patient's course as a Bundle (docs/fhir.md).",
        )
    )
