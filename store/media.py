"""The photos and videos attached to posts, stored beside the post as
references (never the files). Rows are written in one insert per batch and
made storable here, so a platform's odd value cannot fail the post."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from store.models import MEDIA_KINDS, MentionMedia

log = logging.getLogger(__name__)

# The largest values the columns hold on every engine.
_MAX_DIMENSION = 2**31 - 1
_MAX_SIZE = 2**63 - 1
# A longer address is no platform's; it is left out rather than cut.
MAX_URL_LENGTH = 4000


def media_rows(mention_id: int, media: Sequence[Any]) -> list[dict[str, Any]]:
    """The rows for one post's media (connectors.base.Media records), in
    the post's order. Media of an unknown kind or with no address at all
    are left out and logged; a number out of range is stored as unknown."""
    rows = []
    for item in media:
        url = _address(item.url)
        preview_url = _address(item.preview_url)
        if item.kind not in MEDIA_KINDS or not (url or preview_url):
            log.info("mention %s: media left out (kind %r, no usable address)", mention_id, item.kind)
            continue
        rows.append({
            "mention_id": mention_id, "position": len(rows), "kind": item.kind, "url": url,
            "alt_text": item.alt_text or "", "width": _number(item.width, _MAX_DIMENSION),
            "height": _number(item.height, _MAX_DIMENSION), "size_bytes": _number(item.size_bytes, _MAX_SIZE),
            "preview_url": preview_url,
        })
    return rows


def add_media(session: Session, attached: Iterable[tuple[int, Sequence[Any]]]) -> int:
    """Store the media of newly stored posts, given as (mention id, media)
    pairs; how many rows were written."""
    rows = [row for mention_id, media in attached for row in media_rows(mention_id, media)]
    if rows:
        session.execute(insert(MentionMedia.__table__), rows)
    return len(rows)


def _address(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH:
        return ""
    return value if value.startswith(("https://", "http://")) else ""


def _number(value: Any, largest: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= largest:
        return None
    return value
