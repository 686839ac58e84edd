"""PDF handouts and reports through WeasyPrint, an optional extra (``pip install "rehabkit[pdf]"``).

The PDF is the HTML document laid out by WeasyPrint's print engine, tagged as
PDF/UA-1 so that screen readers can follow it. WeasyPrint is imported only
here, when a PDF is asked for; without it (or without the system's Pango
library it needs) :class:`MissingExtraError` says how to get it.
"""

from __future__ import annotations

from .._common.errors import RehabkitError
from .content import CourseReport, Handout

__all__ = ["MissingExtraError", "render_handout_pdf", "render_report_pdf"]

INSTALL_HINT = (
    'install the PDF extra: pip install "rehabkit[pdf]" (it needs the system\'s Pango library: '
    "apt-get install libpango-1.0-0 libpangoft2-1.0-0 on Debian), or write .html and print it from a browser"
)


class MissingExtraError(RehabkitError, ImportError):
    """An optional part of rehabkit is not installed; the message says how to install it."""


def _pdf(html: str) -> bytes:
    try:
        import weasyprint  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise MissingExtraError(f"PDF output needs WeasyPrint, which is not installed: {INSTALL_HINT}.") from None
    except OSError as exc:  # WeasyPrint is there but the system's Pango is not
        raise MissingExtraError(f"PDF output needs the system's Pango library ({exc}): {INSTALL_HINT}.") from None
    document: bytes = weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
    return document


def render_handout_pdf(handout: Handout) -> bytes:
    """The handout as a tagged PDF."""
    from .html import render_handout_html

    return _pdf(render_handout_html(handout))


def render_report_pdf(report: CourseReport) -> bytes:
    """The course report as a tagged PDF."""
    from .html import render_report_html

    return _pdf(render_report_html(report))
