"""Moderating comments on the brand's Instagram media, as Graph offers it:
hide or unhide (`POST /{ig-comment-id}` with hide=true|false) and delete
(`DELETE /{ig-comment-id}`); Instagram has no liking of comments through
the API. A comment's `hidden` field checks an action whose outcome is
unknown. The token needs instagram_manage_comments."""

from __future__ import annotations

from connectors.facebook.moderation import GraphModeration
from connectors.instagram.parse import MENTION_PREFIX
from connectors.moderation import StoredPost


class InstagramModeration(GraphModeration):
    """Mixed into InstagramConnector ahead of the Facebook connector's
    moderation, whose calls and checks it replaces."""

    moderation_calls = {
        "hide": ("hiding the comment", "", "POST", {"hide": "true"}),
        "unhide": ("unhiding the comment", "", "POST", {"hide": "false"}),
        "delete": ("deleting the comment", "", "DELETE", None),
    }
    moderation_actions = frozenset(moderation_calls)
    state_fields = ("hidden", None)

    @classmethod
    def why_not_moderated(cls, account, post: StoredPost) -> str | None:
        """Comments and replies on the brand's own media can be moderated;
        a comment that mentions the brand on someone else's media, and
        media the brand is tagged in, cannot."""
        if post.kind not in ("comment", "reply"):
            return f"an Instagram {post.kind.replace('_', ' ')} cannot be moderated; only comments on the brand's media"
        if not post.conversation_ref or post.conversation_ref.startswith(MENTION_PREFIX):
            return "this comment is not on the brand's own Instagram media"
        return None
