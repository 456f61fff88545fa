"""Saved inbox views: a name and the inbox's query string, per agent."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.errors import Refused
from store.models import Agent, SavedView

MAX_NAME = 60
MAX_QUERY = 1000
MAX_VIEWS = 30
VIEW_KEYS = ("view", "status", "priority", "platform", "topic", "assignee", "q")


def save_view(session: Session, agent: Agent, name: str, query: str, now: datetime) -> SavedView:
    """Save (or replace) the agent's view `name`. Only the inbox's own
    filter keys are kept from `query`."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise Refused(f"give the view a name of 1 to {MAX_NAME} characters")
    kept = urlencode([(k, v) for k, v in parse_qsl(query or "") if k in VIEW_KEYS and v])
    if len(kept) > MAX_QUERY:
        raise Refused("these filters are too long to save")
    existing = session.scalar(select(SavedView).where(SavedView.agent_id == agent.id, SavedView.name == name))
    if existing is not None:
        existing.query = kept
        return existing
    count = len(session.scalars(select(SavedView.id).where(SavedView.agent_id == agent.id)).all())
    if count >= MAX_VIEWS:
        raise Refused(f"you have {MAX_VIEWS} saved views; delete one first")
    view = SavedView(agent_id=agent.id, name=name, query=kept, created_at=now)
    session.add(view)
    session.flush()
    return view


def delete_view(session: Session, agent: Agent, view_id: int) -> bool:
    """Delete one of the agent's own views; False when they have none with that id."""
    deleted = session.execute(delete(SavedView).where(SavedView.id == view_id, SavedView.agent_id == agent.id))
    return deleted.rowcount == 1
