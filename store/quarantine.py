"""The quarantine: posts that could not be stored, each kept once per
(platform, id) with the reason, until it is stored after all or an admin
dismisses it. The caller owns the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.among import among_bound
from store.audit import record_audit
from store.errors import Refused
from store.models import Mention, QuarantinedPost

EXTERNAL_ID_LENGTH = 100


def put_aside(session: Session, *, platform: str, external_id: str | None, reason: str, raw: Any,
              post: dict[str, Any] | None, source_id: int | None, now: datetime) -> bool:
    """Quarantine one post or item; False when it is stored already and
    needs none. `reason` and `raw` must be storable (the listener makes
    them so). A post quarantined before is counted once more."""
    external_id = external_id[:EXTERNAL_ID_LENGTH] if external_id else None
    if external_id is not None:
        if session.scalar(select(Mention.id).where(Mention.platform == platform,
                                                   Mention.external_id == external_id)) is not None:
            return False
        known = session.scalar(select(QuarantinedPost).where(QuarantinedPost.platform == platform,
                                                             QuarantinedPost.external_id == external_id))
        if known is not None:
            _failed_again(known, reason, raw, post, now)
            return True
    row = QuarantinedPost(platform=platform, external_id=external_id, reason=reason, raw=raw, post=post,
                          source_id=source_id, failures=1, first_failed_at=now, last_failed_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another process quarantined the same post meanwhile: once is enough.
        pass
    return True


def _failed_again(row: QuarantinedPost, reason: str, raw: Any, post: dict[str, Any] | None,
                  now: datetime) -> None:
    row.reason, row.raw, row.post = reason, raw, post if post is not None else row.post
    row.failures += 1
    row.last_failed_at = now


# Built once: intake releases the posts of every page it stores.
RELEASE = delete(QuarantinedPost).where(QuarantinedPost.platform == bindparam("platform"),
                                        among_bound(QuarantinedPost.external_id, "ids"))


def release(session: Session, platform: str, external_ids: list[str]) -> None:
    """These posts are stored now: they leave the quarantine. The session's
    own records of quarantined posts, where it holds any, leave it with
    their rows (the ORM's delete); else the rows are deleted as they are,
    which takes less than half the time."""
    if not external_ids:
        return
    values = {"platform": platform, "ids": list(external_ids)}
    if any(key[0] is QuarantinedPost for key in session.identity_map.keys()):
        session.execute(RELEASE, values)
        return
    session.flush()
    session.connection().execute(RELEASE, values)


def quarantined(session: Session, limit: int = 200) -> list[QuarantinedPost]:
    """The newest failures first."""
    return list(session.scalars(select(QuarantinedPost)
                                .order_by(QuarantinedPost.last_failed_at.desc(), QuarantinedPost.id.desc())
                                .limit(limit)))


def quarantine_counts(session: Session) -> dict[str, int]:
    """How many posts are quarantined, by platform."""
    return dict(session.execute(select(QuarantinedPost.platform, func.count())
                                .group_by(QuarantinedPost.platform).order_by(QuarantinedPost.platform)).all())


def quarantined_post(session: Session, row_id: int) -> QuarantinedPost:
    row = session.get(QuarantinedPost, row_id)
    if row is None:
        raise Refused(f"there is no quarantined post {row_id}", 404)
    return row


def dismiss(session: Session, row_id: int, actor: str, now: datetime) -> None:
    """An admin gives up on a post; the audit log keeps what it was."""
    row = quarantined_post(session, row_id)
    record_audit(session, actor, "quarantine_dismissed", f"{row.platform} {row.external_id or row.id}",
                 now=now, reason=row.reason[:500])
    session.delete(row)
