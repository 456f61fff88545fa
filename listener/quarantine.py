"""Posts that cannot be stored are put aside in the quarantine (see
store.quarantine) with what went wrong, so that one bad post never holds
up its batch or its source. A post that was parsed is kept whole, so an
admin can take it in again once the cause is fixed."""

from __future__ import annotations

import math
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from connectors.base import Author, InboundPost, Media, SkippedItem, storable
from store.errors import Refused
from store.quarantine import put_aside, quarantined_post, release

REASON_LENGTH = 2000


def quarantine_post(session: Session, post: InboundPost, error: BaseException, source_id: int | None,
                    now: datetime) -> bool:
    return put_aside(session, platform=post.platform, external_id=post.external_id, reason=reason_of(error),
                     raw=plain_json(post.raw), post=plain_json(_record(post)), source_id=source_id, now=now)


def quarantine_item(session: Session, platform: str, item: SkippedItem, source_id: int | None,
                    now: datetime) -> bool:
    external_id = storable(item.external_id) if isinstance(item.external_id, str) else None
    return put_aside(session, platform=platform, external_id=external_id, reason=storable(item.reason)[:REASON_LENGTH],
                     raw=plain_json(item.raw), post=None, source_id=source_id, now=now)


def retry_quarantined(session: Session, intake, row_id: int, now: datetime):
    """Take a quarantined post in again: stored, it leaves the quarantine;
    failing again, it stays with the new reason. Returns the IngestReport,
    or None for an item that was never parsed (it cannot be retried)."""
    row = quarantined_post(session, row_id)
    if row.post is None:
        return None
    platform, external_id = row.platform, row.external_id
    report = intake.ingest(session, [_post(row.post, row.raw)], now, source_id=row.source_id)
    if not report.quarantined:  # stored now, or meanwhile by another way
        release(session, platform, [external_id])
    return report


def reason_of(error: BaseException) -> str:
    """What went wrong, short and storable; a database error without its SQL."""
    cause = getattr(error, "orig", None) or error
    text = str(cause).split("\n[SQL:", 1)[0].strip() or type(cause).__name__
    return storable(f"{type(cause).__name__}: {text}")[:REASON_LENGTH]


def plain_json(value: Any) -> Any:
    """`value` as JSON every database takes: keys as text, no NaN or
    infinity, anything else by its repr. Texts are kept as they are (the
    JSON column escapes what a text column could not hold)."""
    if isinstance(value, dict):
        return {str(key): plain_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(item) for item in value]
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return repr(value)


def _record(post: InboundPost) -> dict[str, Any]:
    record = {item.name: getattr(post, item.name) for item in fields(post) if item.name != "raw"}
    record["author"] = asdict(post.author)
    record["media"] = [asdict(item) for item in post.media]
    return record


def _post(record: dict[str, Any], raw: Any) -> InboundPost:
    try:
        values = {**record, "author": Author(**record["author"]),
                  "created_at": datetime.fromisoformat(record["created_at"]),
                  "media": tuple(Media(**item) for item in record.get("media", ()))}
        return InboundPost(**values, raw=raw if isinstance(raw, dict) else {"raw": raw})
    except (KeyError, TypeError, ValueError) as error:
        raise Refused(f"the quarantined post cannot be read back: {error}", 409) from None
