"""Canned responses: reply texts kept by leads, with the same placeholders
as follow-ups ({first_name}, {agent_name}, {ticket_ref}, {topic},
{brand}); an unknown placeholder is refused when saved, naming it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import template_placeholders
from store.errors import Refused
from store.models import CannedResponse

MAX_TITLE = 100
MAX_BODY = 5000


def save_canned(session: Session, *, title: str, body: str, actor: str, now: datetime,
                canned: CannedResponse | None = None) -> CannedResponse:
    """Create a canned response, or change `canned`."""
    title, body = (title or "").strip(), (body or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise Refused(f"give it a title of 1 to {MAX_TITLE} characters")
    if not body:
        raise Refused("write the text")
    if len(body) > MAX_BODY:
        raise Refused(f"the text counts {len(body)} characters, {len(body) - MAX_BODY} too many; a canned response "
                      f"allows {MAX_BODY}")
    try:
        template_placeholders(body)
    except ValueError as error:
        raise Refused(f"the text {error}") from None
    same_title = session.scalar(select(CannedResponse).where(CannedResponse.title == title))
    if same_title is not None and same_title is not canned:
        raise Refused(f"there is already a canned response called {title!r}", 409)
    if canned is None:
        canned = CannedResponse(title=title, body=body, created_by=actor, created_at=now, updated_at=now)
        session.add(canned)
    else:
        canned.title, canned.body, canned.updated_at = title, body, now
    session.flush()
    return canned


def all_canned(session: Session) -> list[CannedResponse]:
    return list(session.scalars(select(CannedResponse).order_by(CannedResponse.title)))
