"""The files behind the photos and videos the emulated platforms' posts
carry, made in code, at /_emulator/media/<name>:

- `<stem>.png`: a small picture, its colours drawn from the stem; `?pad=N`
  adds N bytes after the image (a large file), `?length=hidden` sends it
  without a Content-Length, `?announce=N` announces N bytes whatever is
  sent;
- `<stem>.gif`, `<stem>.mp4`: a tiny animation, the start of a video;
- `<stem>.html`: a page, a type no browser should be handed as a picture;
- `away/<name>`: a redirect to the same file at another host name
  (localhost for 127.0.0.1, and the other way round).

Posts on every emulated platform point here with `media_url(name)`."""

from __future__ import annotations

import functools
import hashlib
import struct
import zlib
from collections.abc import Iterator

from flask import Blueprint, Response, abort, redirect, request

PLATFORM = "media"
WIDTH, HEIGHT = 96, 64
# The smallest animated GIF: one 1x1 frame.
GIF = bytes.fromhex("47494638396101000100800000ffffff00000021f904000a0000002c00000000010001000002024401003b")
# The header box of an MP4 file, which is all a thumbnail test needs.
MP4 = bytes.fromhex("000000186674797069736f6d0000020069736f6d69736f32")

files = Blueprint("emulator_media", __name__, url_prefix="/_emulator/media")
blueprints = (files,)


def media_url(name: str) -> str:
    """The address of a file here, as the request being served reaches the emulator."""
    return f"{request.host_url}_emulator/media/{name}"


@functools.lru_cache(maxsize=256)
def png(stem: str) -> bytes:
    """A WIDTHxHEIGHT PNG: a diagonal blend of two colours chosen by `stem`."""
    digest = hashlib.sha256(stem.encode()).digest()
    one, two = digest[:3], digest[3:6]
    rows = bytearray()
    for y in range(HEIGHT):
        rows.append(0)
        for x in range(WIDTH):
            share = (x + y) / (WIDTH + HEIGHT - 2)
            rows += bytes(round(a + (b - a) * share) for a, b in zip(one, two))
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(rows))) + \
        _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def made(name: str) -> tuple[bytes, str] | None:
    """The body and type of the file `name`, None for a name not served."""
    stem, _, extension = name.rpartition(".")
    if extension == "png":
        return png(stem), "image/png"
    if extension == "gif":
        return GIF, "image/gif"
    if extension == "mp4":
        return MP4, "video/mp4"
    if extension == "html":
        return b"<!doctype html><title>not a picture</title><p>Hello", "text/html"
    return None


@files.get("/<name>")
def media_file(name: str):
    found = made(name)
    if found is None:
        abort(404)
    body, mimetype = found
    pad = request.args.get("pad", "0")
    if not pad.isdigit() or int(pad) > 1_000_000_000:
        abort(400)
    length = len(body) + int(pad)
    response = Response(_padded(body, int(pad)), mimetype=mimetype)
    if request.args.get("length") != "hidden":
        announced = request.args.get("announce", "")
        response.content_length = int(announced) if announced.isdigit() else length
    return response


def _padded(body: bytes, pad: int) -> Iterator[bytes]:
    yield body
    block = bytes(64 * 1024)
    while pad > 0:
        yield block[:pad]
        pad -= len(block)


@files.get("/away/<name>")
def elsewhere(name: str):
    host = request.host
    other = host.replace("127.0.0.1", "localhost") if "127.0.0.1" in host else host.replace("localhost", "127.0.0.1")
    query = f"?{request.query_string.decode()}" if request.query_string else ""
    return redirect(f"{request.scheme}://{other}/_emulator/media/{name}{query}")


def media_items(body: dict) -> list[dict] | str:
    """The `media` of a control request that adds a post, or what is wrong
    with it. Each item: `type` (the platform's word: photo, video, ... or
    any other), `file` (a file here; a photo's own, a video's stream),
    `preview` (a still image of a video), `alt_text`, `width`, `height`;
    any of them may be left out, as platforms do."""
    media = body.get("media", [])
    if not isinstance(media, list) or not all(isinstance(item, dict) for item in media):
        return "media must be a list of objects with type, file, preview, alt_text, width and height"
    out = []
    for item in media:
        kind, alt_text = item.get("type", "photo"), item.get("alt_text")
        names = [item.get(key) for key in ("file", "preview")]
        if not isinstance(kind, str) or not all(n is None or isinstance(n, str) for n in [*names, alt_text]):
            return "media type, file, preview and alt_text must be strings"
        sizes = [item.get(key) for key in ("width", "height")]
        if not all(s is None or (isinstance(s, int) and not isinstance(s, bool) and s > 0) for s in sizes):
            return "media width and height must be whole numbers above 0"
        out.append({"type": kind, "file": names[0], "preview": names[1], "alt_text": alt_text,
                    "width": sizes[0], "height": sizes[1]})
    return out
