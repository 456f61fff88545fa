"""Moderation of comments under the brand's own posts: an action (hide,
unhide, like, unlike, delete) is checked and queued here, for the
moderation outbox to send at most once, and recorded on the ticket the
comment belongs to, when it has one. Whether the platform offers an
action and whether the post is the brand's to moderate are the
connector's facts: the caller passes them in as a Moderation. A refusal
raises Refused before anything is stored. The caller owns the
transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from config.settings import ModerationSettings
from store.errors import Refused
from store.events import record_event
from store.models import MODERATION_ACTIONS, Agent, Mention, ModerationAction

MAX_REASON = 500
PENDING = ("queued", "sending")
# The action that takes each reversible one back; a delete cannot be.
UNDONE_BY = {"hide": "unhide", "unhide": "hide", "like": "unlike", "unlike": "like"}
DONE_WORDS = {"hide": "hidden", "unhide": "unhidden", "like": "liked", "unlike": "unliked", "delete": "deleted"}
# Who asks when the rule hides a comment by itself.
RULE = "rule"


@dataclass(frozen=True)
class Moderation:
    """What the platform lets closeloop do to one post: the actions it
    offers, and why this post cannot be moderated at all (None: it can)."""

    offered: frozenset[str]
    why_not: str | None = None


@dataclass(frozen=True)
class CommentModeration:
    """A comment's moderation as closeloop asked for it: the hide, like
    and delete in force (done or on their way; None when there is none)
    and every action, oldest first."""

    hidden: ModerationAction | None
    liked: ModerationAction | None
    deleted: ModerationAction | None
    actions: tuple[ModerationAction, ...]

    @property
    def pending(self) -> bool:
        return any(a.status in PENDING for a in self.actions)


def moderation_of(session: Session, mention: Mention) -> CommentModeration:
    actions = tuple(session.scalars(select(ModerationAction).where(ModerationAction.mention_id == mention.id)
                                    .order_by(ModerationAction.id)))
    return _in_force(actions)


def moderation_of_many(session: Session, mentions: list[Mention]) -> dict[int, CommentModeration]:
    """Each mention's moderation, in one query."""
    ids = [m.id for m in mentions]
    found: dict[int, list[ModerationAction]] = {i: [] for i in ids}
    if ids:
        for action in session.scalars(select(ModerationAction).where(ModerationAction.mention_id.in_(ids))
                                      .options(joinedload(ModerationAction.agent))
                                      .order_by(ModerationAction.id)):
            found[action.mention_id].append(action)
    return {i: _in_force(tuple(actions)) for i, actions in found.items()}


def _in_force(actions: tuple[ModerationAction, ...]) -> CommentModeration:
    hidden = liked = deleted = None
    for action in actions:
        if action.status == "failed":
            continue
        if action.action in ("hide", "unhide"):
            hidden = action if action.action == "hide" else None
        elif action.action in ("like", "unlike"):
            liked = action if action.action == "like" else None
        else:
            deleted = action
    return CommentModeration(hidden, liked, deleted, actions)


def queue_moderation(session: Session, mention: Mention, action: str, *, settings: ModerationSettings,
                     moderation: Moderation, by: Agent | None, reason: str, now: datetime,
                     confirmed: bool = False, undoes: ModerationAction | None = None) -> ModerationAction:
    """Queue `action` on the comment `mention`, asked by `by` (None: the
    rule); an unhide or unlike takes back the hide or like in force.
    Refused when the person's role does not allow it, the platform
    does not offer it, the post is not the brand's to moderate, the
    comment already shows it, or it is a delete that was not confirmed."""
    reason = " ".join(str(reason or "").split())
    if action not in MODERATION_ACTIONS:
        raise Refused(f"action must be one of {', '.join(MODERATION_ACTIONS)}, not {action!r}", status=400)
    if len(reason) > MAX_REASON:
        raise Refused(f"the reason has {len(reason)} characters; at most {MAX_REASON}", status=400)
    if by is not None and not settings.allows(by.role, action):
        raise Refused(f"only a {settings.role_for(action)} or above may {action} comments; your role is {by.role}",
                      status=403)
    if action not in moderation.offered:
        offered = ", ".join(a for a in MODERATION_ACTIONS if a in moderation.offered) or "nothing"
        raise Refused(f"closeloop cannot {action} comments on {mention.platform} (it can: {offered})", status=409)
    if moderation.why_not:
        raise Refused(moderation.why_not, status=409)
    state = moderation_of(session, mention)
    _check_state(state, action)
    if undoes is None and action in ("unhide", "unlike"):
        undoes = state.hidden if action == "unhide" else state.liked
    if action == "delete" and not confirmed:
        raise Refused("deleting a comment cannot be undone: confirm the delete", status=400, confirm=True)
    row = ModerationAction(mention=mention, action=action, requested_by=by.email if by else RULE, agent=by,
                           reason=reason, undoes_id=undoes.id if undoes else None, status="queued", attempts=0,
                           created_at=now, next_attempt_at=now)
    session.add(row)
    session.flush()
    record_moderation(session, row, "moderation_requested", now)
    return row


def _check_state(state: CommentModeration, action: str) -> None:
    if state.deleted is not None:
        raise Refused("the comment was deleted; nothing more can be done to it", status=409)
    conflict = {"hide": state.hidden is not None and "the comment is already hidden",
                "unhide": state.hidden is None and "the comment is not hidden",
                "like": state.liked is not None and "the comment is already liked",
                "unlike": state.liked is None and "the comment is not liked"}.get(action)
    if conflict:
        raise Refused(conflict, status=409)


def undo_moderation(session: Session, done: ModerationAction, *, settings: ModerationSettings,
                    moderation: Moderation, by: Agent | None, reason: str, now: datetime) -> ModerationAction:
    """Queue the action that takes `done` back (an unhide for a hide)."""
    undo = UNDONE_BY.get(done.action)
    if undo is None:
        raise Refused("a deleted comment cannot be brought back", status=409)
    if done.status == "failed":
        raise Refused(f"this {done.action} failed; there is nothing to undo", status=409)
    return queue_moderation(session, done.mention, undo, settings=settings, moderation=moderation, by=by,
                            reason=reason or f"undoes the {done.action} of {done.created_at:%Y-%m-%d %H:%M} UTC",
                            now=now, undoes=done)


def record_moderation(session: Session, row: ModerationAction, kind: str, now: datetime, **detail) -> None:
    """An event on the ticket of the comment, when it has one: a
    moderation is not a change of the ticket's state, but part of its
    story. The rule's actions are the system's, `by` the rule."""
    ticket = row.mention.ticket
    if ticket is None:
        return
    if row.requested_by == RULE:
        detail["by"] = RULE
    record_event(session, ticket, kind, now, actor="system" if row.requested_by == RULE else row.requested_by,
                 mention=row.mention, action=row.action, reason=row.reason, moderation_id=row.id, **detail)


def moderation_log(session: Session, *, by_rule: bool = False, limit: int = 100) -> list[ModerationAction]:
    """The latest actions, newest first; only the rule's when `by_rule`."""
    query = (select(ModerationAction).options(joinedload(ModerationAction.mention).joinedload(Mention.identity),
                                              joinedload(ModerationAction.agent))
             .order_by(ModerationAction.id.desc()).limit(limit))
    if by_rule:
        query = query.where(ModerationAction.requested_by == RULE)
    return list(session.scalars(query))
