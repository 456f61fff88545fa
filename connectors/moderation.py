"""Moderating comments under the brand's own posts, whatever the platform.

A connector class that can moderate declares the actions its platform
offers (`moderation_actions`) and says, from a stored post alone, why one
cannot be moderated (`why_not_moderated`: None when it can): only
comments under the brand's own posts or page can. Its `moderate` does an
action, and its `comment_state` reads what the platform shows of a
comment, so that an action whose outcome is unknown is checked before it
is sent again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ACTIONS = ("hide", "unhide", "like", "unlike", "delete")
# What each reversible action is undone by.
UNDONE_BY = {"hide": "unhide", "unhide": "hide", "like": "unlike", "unlike": "like"}


@dataclass(frozen=True)
class StoredPost:
    """What closeloop kept of a post: enough to tell whether it sits
    under one of the brand's own posts."""

    kind: str
    external_id: str
    conversation_ref: str | None = None
    in_reply_to: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class CommentState:
    """What the platform shows of a comment. None: it does not say."""

    exists: bool
    hidden: bool | None = None
    liked: bool | None = None

    def shows_done(self, action: str) -> bool | None:
        """Whether the comment already shows `action` done; None when the
        platform does not say (or the comment is gone, for anything but a
        delete)."""
        if action == "delete":
            return not self.exists
        if not self.exists:
            return None
        shown = self.hidden if action in ("hide", "unhide") else self.liked
        return None if shown is None else shown == (action in ("hide", "like"))
