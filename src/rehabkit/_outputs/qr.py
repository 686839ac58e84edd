"""A QR code of a sign-in link for the printed handout, through segno (part of the ``serve`` extra).

segno is a small, pure-Python QR encoder with no dependencies of its own (ISO/IEC 18004, every version and error
level, SVG output). Writing an encoder here would mean Reed-Solomon codes, masking and version tables to keep right;
segno is well kept and tested against the standard, so rehabkit uses it and imports it only when a code is made.
"""

from __future__ import annotations

import base64
import io

from .pdf import MissingExtraError

__all__ = ["qr_data_uri"]


def qr_data_uri(text: str, title: str) -> str:
    """``text`` as a QR code (error correction level M, dark on white with the standard quiet zone): an SVG image
    as a ``data:`` URI, so that the handout stays one self-contained file (HTML or PDF)."""
    try:
        import segno
    except ImportError:
        raise MissingExtraError(
            "a QR code needs segno, part of the serve extra: pip install 'rehabkit[serve]'."
        ) from None
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="svg", scale=4, border=4, title=title, xmldecl=False,
                                                   dark="#000", light="#fff")  # fmt: skip
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")
