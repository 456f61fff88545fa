"""Fetching a photo or video that a post carries, from the platform's own
media hosts only, for the web app to pass on to the agent's browser (which
never loads anything from the platform itself).

Only the types a browser shows safely are taken, and only up to a size:
by the Content-Length the platform announces, and again while the body
arrives (a body with no length is read whole, up to the limit, before it is
passed on). Redirects are followed by hand, each checked like the first
address."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

SHOWN_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"})
MAX_REDIRECTS = 3
CHUNK_BYTES = 64 * 1024


class MediaRefused(Exception):
    """The media is not passed on; `reason` says why in a few words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MediaHosts:
    """Where a platform serves media: `names` are hosts taken over https
    (one starting with "." also takes every host under it), `origins` are
    (scheme, host:port) pairs taken as they are (an emulator's address)."""

    names: frozenset[str] = frozenset()
    origins: frozenset[tuple[str, str]] = frozenset()

    def allow(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            origin = (parts.scheme, parts.netloc.lower())
        except ValueError:
            return False
        if parts.username or parts.password or not host:
            return False
        if origin in self.origins:
            return True
        return parts.scheme == "https" and parts.port in (None, 443) and any(
            host == name or (name.startswith(".") and host.endswith(name)) for name in self.names)


@dataclass
class MediaFile:
    """An accepted file: its type, its length when known, and its body in
    chunks. `close` releases the connection when the body is not read to
    its end."""

    content_type: str
    length: int | None
    chunks: Iterator[bytes]
    response: requests.Response

    def close(self) -> None:
        self.response.close()


def fetch_media(url: str, hosts: MediaHosts, *, max_bytes: int, timeout: float,
                session: requests.Session | None = None) -> MediaFile:
    """The file at `url`, or MediaRefused saying why not: an address that is
    not the platform's, a failed fetch, a type not shown, too large."""
    session = session or requests.Session()
    for _ in range(MAX_REDIRECTS + 1):
        if not hosts.allow(url):
            raise MediaRefused(f"not the platform's address ({_host_of(url)})")
        try:
            response = session.get(url, stream=True, timeout=timeout, allow_redirects=False,
                                   headers={"Accept-Encoding": "identity"})
        except requests.RequestException as error:
            raise MediaRefused(f"the platform did not answer ({type(error).__name__})") from None
        if response.is_redirect:
            response.close()
            url = urljoin(url, response.headers.get("Location", ""))
            continue
        return _accepted(response, max_bytes)
    raise MediaRefused(f"more than {MAX_REDIRECTS} redirects")


def _accepted(response: requests.Response, max_bytes: int) -> MediaFile:
    try:
        if response.status_code != 200:
            raise MediaRefused(f"the platform answered {response.status_code}")
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type not in SHOWN_TYPES:
            raise MediaRefused(f"type {content_type or 'unknown'} is not shown")
        declared = response.headers.get("Content-Length", "")
        if not declared.isdigit():
            body = _read_whole(response, max_bytes)
            return MediaFile(content_type, len(body), iter((body,)), response)
        if int(declared) > max_bytes:
            raise MediaRefused(f"larger than {readable_size(max_bytes)} ({readable_size(int(declared))})")
        return MediaFile(content_type, int(declared), _limited(response, int(declared)), response)
    except BaseException:
        response.close()
        raise


def _read_whole(response: requests.Response, max_bytes: int) -> bytes:
    body = bytearray()
    for chunk in response.iter_content(CHUNK_BYTES):
        body += chunk
        if len(body) > max_bytes:
            raise MediaRefused(f"larger than {readable_size(max_bytes)}")
    return bytes(body)


def _limited(response: requests.Response, length: int) -> Iterator[bytes]:
    """The body, stopped with MediaRefused when more arrives than was
    announced (the response is then cut short)."""
    seen = 0
    try:
        for chunk in response.iter_content(CHUNK_BYTES):
            seen += len(chunk)
            if seen > length:
                raise MediaRefused(f"more than the {length} bytes announced")
            yield chunk
    finally:
        response.close()


def readable_size(size: int) -> str:
    """A number of bytes as people read it: 10 MB, 250 kB, 12 bytes."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.3g} MB"
    return f"{size / 1000:.3g} kB" if size >= 1000 else f"{size} bytes"


def _host_of(url: str) -> str:
    try:
        return urlsplit(url).hostname or "no host"
    except ValueError:
        return "no host"


def hosts_of(declared: Iterable[str], base_urls: Iterable[str]) -> MediaHosts:
    """The MediaHosts of a platform: the hosts its connector declares and
    the origins of its accounts' base_url (an emulator or a proxy)."""
    origins = set()
    for base_url in base_urls:
        parts = urlsplit(base_url)
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.add((parts.scheme, parts.netloc.lower()))
    return MediaHosts(frozenset(name.lower() for name in declared), frozenset(origins))
