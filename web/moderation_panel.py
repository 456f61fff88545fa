"""What the ticket page shows beside a comment under the brand's own post:
its moderation in force (hidden by whom, when and why) and the actions
the signed-in person may take on it now."""

from __future__ import annotations

from dataclasses import dataclass

from config.settings import Settings
from responder.moderation import platform_moderation
from store.models import Agent, Mention, ModerationAction
from store.moderation import CommentModeration, moderation_of_many
from web.context import db_session

LABELS = {"hide": "Hide", "unhide": "Unhide", "like": "Like", "unlike": "Unlike", "delete": "Delete"}


@dataclass(frozen=True)
class ModerationPanel:
    """What the ticket page shows beside one comment: its moderation in
    force and the actions this person may take on it now."""

    state: CommentModeration
    actions: tuple[str, ...]
    # The newest action when it failed: its error is shown.
    failed: ModerationAction | None


def panels_for(posts: list[Mention], agent: Agent, settings: Settings) -> dict[int, ModerationPanel]:
    """A panel for each post the brand may moderate, by post id."""
    moderatable = [post for post in posts if post.kind in ("comment", "reply")]
    facts = {post.id: platform_moderation(settings, post) for post in moderatable}
    moderatable = [post for post in moderatable if facts[post.id].offered and not facts[post.id].why_not]
    states = moderation_of_many(db_session(), moderatable)
    return {post.id: _panel(states[post.id], facts[post.id].offered, agent, settings) for post in moderatable}


def _panel(state: CommentModeration, offered: frozenset[str], agent: Agent, settings: Settings) -> ModerationPanel:
    possible = () if state.deleted else (
        "unhide" if state.hidden else "hide", "unlike" if state.liked else "like", "delete")
    actions = tuple(a for a in possible if a in offered and settings.moderation.allows(agent.role, a))
    newest = state.actions[-1] if state.actions else None
    return ModerationPanel(state, actions, newest if newest is not None and newest.status == "failed" else None)
