"""The audit log: who did what outside a ticket's own events (sign-ins,
tokens, and whatever else an admin needs to trace). Rows are only appended;
the caller commits them with the change they describe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import AuditEntry

ACTOR_LENGTH = 320
TARGET_LENGTH = 200


@dataclass(frozen=True)
class AuditFilter:
    """Exact matches; empty means any."""

    actor: str = ""
    action: str = ""


def record_audit(session: Session, actor: str, action: str, target: str = "", *, now: datetime,
                 **detail: Any) -> AuditEntry:
    entry = AuditEntry(at=now, actor=actor[:ACTOR_LENGTH], action=action, target=target[:TARGET_LENGTH],
                       detail=detail)
    session.add(entry)
    return entry


def audit_entries(session: Session, flt: AuditFilter, *, limit: int, offset: int) -> tuple[list[AuditEntry], int]:
    """One page of entries, newest first, and how many match in all. An
    offset past the end asks the database nothing (nor overflows it)."""
    conditions = []
    if flt.actor:
        conditions.append(AuditEntry.actor == flt.actor)
    if flt.action:
        conditions.append(AuditEntry.action == flt.action)
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0
    if offset >= total:
        return [], total
    entries = session.scalars(select(AuditEntry).where(*conditions)
                              .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                              .limit(limit).offset(offset)).all()
    return list(entries), total


def audit_actions(session: Session) -> list[str]:
    """The actions recorded so far, for a filter's choices."""
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
