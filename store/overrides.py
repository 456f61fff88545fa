"""The settings admins change in the web, kept in the database so that
every process (the worker and each web process) applies the same."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from store.audit import record_audit
from store.models import SettingsOverride


def stored_overrides(session: Session) -> dict[str, Any]:
    """What admins changed, by part (a row or two)."""
    return {key: value for key, value in session.execute(select(SettingsOverride.key, SettingsOverride.value))}


def save_overrides(session: Session, base: Settings, changes: dict[str, Any], actor: str,
                   now: datetime) -> dict[str, Any]:
    """Validate `changes` over `base` with what is stored already, then store
    them; raises ConfigError, storing nothing, when they are not allowed.
    Returns everything now stored."""
    merged = {**stored_overrides(session), **changes}
    base.with_overrides(merged)
    for key, value in changes.items():
        row = session.get(SettingsOverride, key)
        if row is None:
            row = SettingsOverride(key=key)
            session.add(row)
        row.value, row.updated_by, row.updated_at = value, actor, now
    record_audit(session, actor, "settings_changed", ", ".join(sorted(changes)), now=now, changes=changes)
    return merged
