"""Where upstream requests may go: the one allow-list (DESIGN §8).

An ingest names its source by URL and the hubs answer with more URLs (a redirect to a CDN,
a moved repository), so a hub, or whoever answers in its place, could point the registry
at anything it can reach: a metadata service, an admin port on loopback, a host on the
private network. Every request, and every hop of a redirect, is checked here before a
connection is made.

Allowed: the configured endpoints exactly (scheme, host and port: tests and mirrors run them
on loopback), and over HTTPS only, the hubs' own hosts and CDNs, plus what the operator adds
(``TMR_UPSTREAM_ALLOWED_HOSTS``). An address literal in a private, loopback, link-local or
otherwise non-public range is refused unless it is exactly a configured endpoint.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from yarl import URL

from app.errors import UpstreamError

#: The hubs' API hosts and the hosts their answers redirect to (LFS files live on the
#: Hugging Face CDN, ``cdn-lfs*.huggingface.co`` and ``*.hf.co``; GitHub serves raw content
#: from ``*.githubusercontent.com``).
HUB_HOSTS: tuple[str, ...] = (
    "huggingface.co",
    "*.huggingface.co",
    "*.hf.co",
    "api.github.com",
    "*.githubusercontent.com",
)

_HTTPS_PORT = 443


class UpstreamRefusedError(UpstreamError):
    """A request or redirect to a host outside the allow-list: nothing was sent there."""


@dataclass(frozen=True, slots=True)
class _Origin:
    scheme: str
    host: str
    port: int | None

    @classmethod
    def of(cls, url: URL) -> _Origin:
        return cls(url.scheme.lower(), (url.host or "").lower().rstrip("."), url.port)


@dataclass(frozen=True, slots=True)
class _HostPattern:
    """``host``, ``*.domain`` (any subdomain, not the domain itself) or either with
    ``:port``; HTTPS on 443 when no port is given."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> _HostPattern:
        host, _, port = text.strip().lower().rpartition(":")
        if not host or not port.isdigit():
            host, port = text.strip().lower(), str(_HTTPS_PORT)
        return cls(host.rstrip("."), int(port))

    def matches(self, host: str, port: int | None) -> bool:
        if port != self.port:
            return False
        if self.host.startswith("*."):
            return host.endswith(self.host[1:])
        return host == self.host


class HostPolicy:
    def __init__(self, endpoints: Iterable[str], hosts: Iterable[str] = HUB_HOSTS) -> None:
        """``endpoints`` are allowed exactly; ``hosts`` are patterns (see
        :class:`_HostPattern`) or, when written with a scheme, exact origins too."""
        origins = {_Origin.of(URL(e)) for e in endpoints}
        patterns = []
        for entry in hosts:
            if "://" in entry:
                origins.add(_Origin.of(URL(entry)))
            else:
                patterns.append(_HostPattern.parse(entry))
        self._origins = frozenset(origins)
        self._patterns = tuple(patterns)

    @classmethod
    def for_hubs(cls, *endpoints: str, extra: Iterable[str] = ()) -> HostPolicy:
        return cls(endpoints, (*HUB_HOSTS, *extra))

    def refusal(self, url: URL) -> str | None:
        """Why ``url`` may not be fetched; None when it may."""
        origin = _Origin.of(url)
        if origin in self._origins:
            return None
        if not origin.host:
            return "the URL has no host"
        if _is_non_public_address(origin.host):
            return f"{origin.host} is a private, loopback or link-local address"
        if origin.scheme != "https":
            return f"{origin.host} is not a configured endpoint and the URL is not HTTPS"
        if any(p.matches(origin.host, origin.port) for p in self._patterns):
            return None
        return f"{origin.host} is not an allowed upstream host"

    def check(self, url: URL, *, redirected_from: URL | None = None) -> None:
        reason = self.refusal(url)
        if reason is None:
            return
        if redirected_from is None:
            raise UpstreamRefusedError(f"refused to fetch from {url.host}: {reason}")
        raise UpstreamRefusedError(
            f"{redirected_from.host} redirected to {url.host}, which was refused: {reason}"
        )

    @staticmethod
    def same_origin(a: URL, b: URL) -> bool:
        return _Origin.of(a) == _Origin.of(b)


def _is_non_public_address(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: the allow-list decides
    return not address.is_global


#: The hubs' own hosts and nothing else: no endpoint configured, nothing on loopback.
HUBS_ONLY = HostPolicy(())
