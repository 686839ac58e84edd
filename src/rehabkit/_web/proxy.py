"""``rehabkit serve`` behind a reverse proxy that terminates TLS: the proxy's headers, trusted from its addresses only.

uvicorn's proxy-headers middleware takes the scheme (``X-Forwarded-Proto``) and the client's address
(``X-Forwarded-For``) from a trusted proxy; it leaves ``Host`` as the proxy sent it. A proxy that passes the public
host name in ``X-Forwarded-Host`` instead (nginx's ``proxy_set_header Host $proxy_host`` with
``X-Forwarded-Host $host``) would then fail the check on every form, which compares the browser's ``Origin`` with
the address the request came to. :func:`behind_proxies` wraps the application in both: uvicorn's, and this module's
taking ``X-Forwarded-Host`` as the request's ``Host``, from the same trusted addresses only.
"""

from __future__ import annotations

import ipaddress
from typing import Any

__all__ = ["DEFAULT_TRUSTED", "behind_proxies"]

#: The proxies trusted when none are named: this machine (uvicorn's default too).
DEFAULT_TRUSTED = "127.0.0.1,::1"


class _Trusted:
    """Addresses a proxy's headers are taken from: ``*`` (any), single addresses and networks, comma-separated."""

    def __init__(self, spec: str) -> None:
        entries = [part.strip() for part in spec.split(",") if part.strip()]
        self.anyone = "*" in entries
        self.networks = [ipaddress.ip_network(e, strict=False) for e in entries if e != "*"]

    def __contains__(self, host: str) -> bool:
        if self.anyone:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)


class _ForwardedHost:
    """Takes ``X-Forwarded-Host`` as the ``Host`` of a request from a trusted proxy: its last value, the one the
    proxy added (earlier ones came from the client)."""

    def __init__(self, app: Any, trusted: _Trusted) -> None:
        self.app, self.trusted = app, trusted

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and client and client[0] in self.trusted:
            headers = dict(scope["headers"])
            forwarded = headers.get(b"x-forwarded-host", b"").split(b",")[-1].strip()
            if forwarded:
                kept = [(k, v) for k, v in scope["headers"] if k != b"host"]
                scope = {**scope, "headers": [*kept, (b"host", forwarded)]}
        await self.app(scope, receive, send)


def behind_proxies(app: Any, trusted: str | None) -> Any:
    """``app`` taking the scheme, client address and host from the headers of the proxies at ``trusted``
    (:data:`DEFAULT_TRUSTED` for None); serve it with uvicorn's own proxy headers off."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    spec = trusted or DEFAULT_TRUSTED
    return _ForwardedHost(ProxyHeadersMiddleware(app, trusted_hosts=spec), _Trusted(spec))
