"""Signed, expiring download links for blobs the registry serves itself (the local store).

A link is ``/downloads/<key>?filename=..&expires=..&signature=..``; the signature is an HMAC
over key, filename and expiry, so a link can be neither extended nor pointed at another blob.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote, urlencode

DOWNLOAD_PATH = "/downloads"
#: Packages the registry assembles as it sends them: ``/packages/<artifact id>/<part>``.
PACKAGE_PATH = "/packages"
#: The registry's own route to an artifact's bundle: it asks for a token with the download
#: permission and redirects to a signed link.
ARTIFACT_DOWNLOAD_PATH = "/artifacts/{type}/{id}/download"


class LinkSigner:
    def __init__(self, key: bytes, base_url: str) -> None:
        self._key = key
        self._base_url = base_url.rstrip("/")

    def sign(self, blob_key: str, *, filename: str, ttl_seconds: int) -> str:
        expires = int(time.time()) + ttl_seconds
        query = urlencode(
            {
                "filename": filename,
                "expires": expires,
                "signature": self._signature(blob_key, filename, expires),
            }
        )
        return f"{self._base_url}{DOWNLOAD_PATH}/{quote(blob_key)}?{query}"

    def package_link(self, artifact_id: str, part: str, *, ttl_seconds: int) -> str:
        """A link to an artifact's package (or part of it), streamed by the registry."""
        expires = int(time.time()) + ttl_seconds
        key = package_key(artifact_id, part)
        query = urlencode({"expires": expires, "signature": self._signature(key, "", expires)})
        return f"{self._base_url}{PACKAGE_PATH}/{quote(artifact_id)}/{quote(part)}?{query}"

    def verify_package(self, artifact_id: str, part: str, *, expires: int, signature: str) -> bool:
        return self.verify(
            package_key(artifact_id, part), filename="", expires=expires, signature=signature
        )

    def artifact_link(self, artifact_type: str, artifact_id: str) -> str:
        path = ARTIFACT_DOWNLOAD_PATH.format(type=quote(artifact_type), id=quote(artifact_id))
        return f"{self._base_url}{path}"

    def verify(self, blob_key: str, *, filename: str, expires: int, signature: str) -> bool:
        if expires < time.time():
            return False
        expected = self._signature(blob_key, filename, expires)
        return hmac.compare_digest(expected, signature)

    def _signature(self, blob_key: str, filename: str, expires: int) -> str:
        message = f"{blob_key}\n{filename}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


def package_key(artifact_id: str, part: str) -> str:
    # not a blob key: a blob link can never be turned into a package link, nor back
    return f"package\n{artifact_id}\n{part}"
