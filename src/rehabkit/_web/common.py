"""What the patient's and the clinician's pages of ``rehabkit serve`` share: the security headers, the count of refused
sign-ins by address, the address a request came from."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from collections.abc import Iterable, Mapping

from starlette.requests import Request

__all__ = [
    "FAILED_LINK_WINDOW",
    "MOST_FAILED_LINKS",
    "SECURITY_HEADERS",
    "TOO_MANY",
    "Changes",
    "Tries",
    "client_of",
    "with_styles",
]

#: Sent with every response: no script, frame, plugin or other site's resource; forms post to this site only.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
}


def with_styles(headers: Mapping[str, str], styles: Iterable[str]) -> dict[str, str]:
    """``headers`` whose Content-Security-Policy also allows the style elements ``styles`` (their text, exactly), by
    their SHA-256 hashes: an inline SVG's own style, and nothing else inline."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'" for text in styles
    )
    policy = headers["content-security-policy"].replace("style-src 'self';", f"style-src 'self' {hashes};")
    return {**headers, "content-security-policy": policy}


#: Links that cannot sign in, tried from one address, before that address must wait; and how long it waits.
MOST_FAILED_LINKS = 10
FAILED_LINK_WINDOW = 15 * 60
TOO_MANY = (
    "Too many sign-in links that cannot sign in were tried from here. Wait a quarter of an hour, or ask your clinic "
    "for a new sign-in link."
)


class Tries:
    """Links refused, by the address that tried them, over the last :data:`FAILED_LINK_WINDOW` seconds."""

    def __init__(self) -> None:
        self._failed: dict[str, list[float]] = {}

    def _recent(self, client: str) -> list[float]:
        now = time.monotonic()
        recent = [t for t in self._failed.get(client, []) if now - t < FAILED_LINK_WINDOW]
        self._failed[client] = recent
        return recent

    def exhausted(self, client: str) -> bool:
        """True when ``client`` tried too many links that could not sign in, lately."""
        return len(self._recent(client)) >= MOST_FAILED_LINKS

    def failed(self, client: str) -> None:
        """A link ``client`` tried could not sign in."""
        self._recent(client).append(time.monotonic())


def client_of(request: Request) -> str:
    """The address a request came from (behind a reverse proxy on this machine, the one it forwards: uvicorn's
    proxy headers)."""
    return request.client.host if request.client else "-"


class Changes:
    """Tells the clinician's open overview pages that a patient's session ended in this server (finished, stopped or
    refused): each page listening (server-sent events) has a queue of its own, and nothing about the patient is sent,
    only that the overview changed."""

    def __init__(self) -> None:
        self._listeners: set[asyncio.Queue[str]] = set()

    def listen(self) -> asyncio.Queue[str]:
        """A new listener's queue (:meth:`stop` it when its page goes)."""
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=8)
        self._listeners.add(queue)
        return queue

    def stop(self, queue: asyncio.Queue[str]) -> None:
        """Forget a listener."""
        self._listeners.discard(queue)

    def changed(self) -> None:
        """Tell every listener the overview changed (a listener already told and not yet reading is told once)."""
        for queue in self._listeners:
            if queue.empty():
                queue.put_nowait("overview")
