"""HTML handouts and course reports: one self-contained file (inline CSS, no script, nothing fetched).

Templates are Jinja2 with autoescape on: every string from a protocol or a pack
is escaped, and control characters are written visibly first, so a title
holding ``<script>`` shows as text. The stylesheet is a template of its own
(CSS, not HTML); the only values it takes are rehabkit's (paper size, print
size) and the footer, which is escaped as a CSS string.
"""

from __future__ import annotations

import functools
from typing import Any

from .._common.text import visible
from .content import CourseReport, Handout

__all__ = ["PAPER_SIZES", "css_string", "render_handout_html", "render_page", "render_report_html"]

#: Paper sizes a handout is laid out for (CSS ``@page size``).
PAPER_SIZES: dict[str, str] = {"a4": "A4", "letter": "letter"}


def css_string(text: str) -> str:
    """``text`` for the inside of a double-quoted CSS string: anything but plain letters, digits, spaces and
    safe punctuation is written as a CSS escape, so nothing can end the string or the style element."""
    safe = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;@-_/()+")
    return "".join(c if c in safe else f"\\{ord(c):x} " for c in text)


def _finalize(value: Any) -> Any:
    import markupsafe

    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return visible(value, keep_newlines=True)  # a newline is only white space in HTML
    return value


@functools.cache
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("rehabkit._outputs", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _css(paper: str, large_print: bool, footer: str) -> Any:
    import jinja2
    import markupsafe

    # CSS is not HTML, so its template is rendered without HTML escaping: the values are rehabkit's own
    # (paper size, print size) and the footer, escaped as a CSS string.
    source = jinja2.PackageLoader("rehabkit._outputs", "templates").get_source(_environment(), "base.css")[0]
    text = (
        jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined)
        .from_string(source)
        .render(paper=PAPER_SIZES[paper], large_print=large_print, footer_css=css_string(footer))
    )
    return markupsafe.Markup(text.replace("</", "<\\/"))


def _version() -> str:
    from .._common.version import __version__

    return __version__


def handout_footer(handout: Handout) -> str:
    """The footer line: which protocol and version, and when its content was last reviewed."""
    who = f" · patient {handout.patient}" if handout.patient else ""
    return f"{handout.source} · content reviewed {handout.reviewed}{who} · made by rehabkit"


def render_handout_html(handout: Handout) -> str:
    """The handout as one HTML document."""
    footer = handout_footer(handout)
    css = _css(handout.paper, handout.large_print, footer)
    template = _environment().get_template("handout.html.j2")
    return str(template.render(h=handout, css=css, footer=footer, version=_version()))


def render_report_html(report: CourseReport) -> str:
    """The course report as one HTML document, its charts inline SVG with a data table beside each."""
    from .charts import adherence_chart, measure_chart, pain_chart

    footer = f"{report.source} · course report for {report.patient} on {report.date.isoformat()} · made by rehabkit"
    css = _css(report.paper, False, footer)
    template = _environment().get_template("report.html.j2")
    charts = {
        "pain": pain_chart(report),
        "adherence": adherence_chart(report),
        "measures": [measure_chart(series) for series in report.measures],
    }
    return str(template.render(r=report, css=css, footer=footer, charts=charts, version=_version()))


def render_page(template_name: str, footer: str, **values: Any) -> str:
    """A page of rehabkit's own from its template (A4, normal print, the footer on every printed page)."""
    css = _css("a4", False, footer)
    template = _environment().get_template(template_name)
    return str(template.render(css=css, footer=footer, version=_version(), **values))
