"""The upstream allow-list: which URLs a request or a redirect hop may go to."""

from __future__ import annotations

import pytest
from yarl import URL

from app.upstream.hosts import HostPolicy

ENDPOINTS = ("http://127.0.0.1:9000", "https://api.github.com")
POLICY = HostPolicy.for_hubs(*ENDPOINTS, extra=("mirror.example.org:8443", "http://10.1.2.3:81"))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/api/models/org/name",  # a configured endpoint, exactly
        "https://api.github.com/repos/o/r",
        "https://huggingface.co/org/name/resolve/main/README.md",
        "https://cdn-lfs.huggingface.co/repos/ab/cd",
        "https://cdn-lfs-us-1.hf.co/repos/ab/cd",
        "https://raw.githubusercontent.com/o/r/main/README.md",
        "https://mirror.example.org:8443/x",  # added by the operator, with its port
        "http://10.1.2.3:81/x",  # added by the operator as an exact origin
    ],
)
def test_allowed(url: str) -> None:
    assert POLICY.refusal(URL(url)) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:9001/", "private, loopback"),  # the endpoint's host, another port
        ("https://127.0.0.1:9000/", "private, loopback"),  # the endpoint's port, another scheme
        ("http://localhost:9000/", "not HTTPS"),
        ("https://localhost/", "not an allowed upstream host"),
        ("https://169.254.169.254/latest/meta-data/", "private, loopback"),
        ("https://10.0.0.1/", "private, loopback"),
        ("https://[::1]/", "private, loopback"),
        ("https://[fe80::1]/", "private, loopback"),
        ("http://huggingface.co/x", "not HTTPS"),  # a hub's host, but in the clear
        ("https://huggingface.co:8443/x", "not an allowed upstream host"),
        ("https://evil-huggingface.co/x", "not an allowed upstream host"),
        ("https://hf.co.evil.com/x", "not an allowed upstream host"),
        ("https://hf.co/x", "not an allowed upstream host"),  # *.hf.co is subdomains only
        ("https://github.com/o/r", "not an allowed upstream host"),
        ("https://mirror.example.org/x", "not an allowed upstream host"),  # 443, not 8443
        ("ftp://huggingface.co/x", "not HTTPS"),
        ("file:///etc/passwd", "no host"),
    ],
)
def test_refused(url: str, reason: str) -> None:
    refusal = POLICY.refusal(URL(url))
    assert refusal is not None
    assert reason in refusal


def test_without_endpoints_only_the_hubs_themselves_are_allowed() -> None:
    policy = HostPolicy(())
    assert policy.refusal(URL("https://huggingface.co/api/models/a/b")) is None
    assert policy.refusal(URL("http://127.0.0.1:9000/api/models/a/b")) is not None
