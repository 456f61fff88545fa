"""Moderating comments on the page's posts through facebook-sdk's
GraphAPI.request: hide or unhide (`POST /{comment-id}` with is_hidden),
like or unlike as the page (`POST` or `DELETE /{comment-id}/likes`),
delete (`DELETE /{comment-id}`), and read a comment's is_hidden and
user_likes to check an action whose outcome is unknown. The page access
token needs pages_manage_engagement."""

from __future__ import annotations

from config.errors import ConfigError
from connectors.base import ConnectorError
from connectors.moderation import CommentState, StoredPost

GONE = "the comment was deleted or is not visible"


class GraphModeration:
    """Mixed into a Graph API connector, which gives `platform` and
    `_call`. `moderation_calls` maps each action to what it is
    called in messages, the path after the comment's id, the method and
    the form sent; `state_fields` names the fields that say whether a
    comment is hidden and liked by the brand."""

    moderation_calls = {
        "hide": ("hiding the comment", "", "POST", {"is_hidden": "true"}),
        "unhide": ("unhiding the comment", "", "POST", {"is_hidden": "false"}),
        "like": ("liking the comment", "/likes", "POST", {}),
        "unlike": ("unliking the comment", "/likes", "DELETE", None),
        "delete": ("deleting the comment", "", "DELETE", None),
    }
    moderation_actions = frozenset(moderation_calls)
    state_fields = ("is_hidden", "user_likes")

    @classmethod
    def why_not_moderated(cls, account, post: StoredPost) -> str | None:
        """Comments and replies on posts of the brand's page (their ids
        start with the page's id) can be moderated; visitor posts
        themselves and comments on recommendations cannot."""
        if post.kind not in ("comment", "reply"):
            return f"a Facebook {post.kind.replace('_', ' ')} cannot be moderated; only comments on the page's posts"
        try:
            page_id = account.credential("page_id")
        except ConfigError as error:
            return f"the Facebook account's page_id cannot be read: {error}"
        if not page_id or not (post.conversation_ref or "").startswith(f"{page_id}_"):
            return "this comment is not on a post of the brand's Facebook page"
        return None

    def moderate(self, action: str, comment_id: str) -> None:
        if action not in self.moderation_calls:
            raise ConnectorError(f"{self.platform.capitalize()} has no moderation action {action!r}", permanent=True)
        what, edge, method, form = self.moderation_calls[action]
        answer = self._call(what, GONE, f"{comment_id}{edge}", post=form, method=method)
        if not (isinstance(answer, dict) and answer.get("success") is True):
            raise ConnectorError(f"{self.platform.capitalize()} answered {what} without success: "
                                 f"{str(answer)[:200]}", status=200)

    def comment_state(self, comment_id: str) -> CommentState:
        hidden_field, liked_field = self.state_fields
        fields = ",".join(["id", *(name for name in self.state_fields if name)])
        from connectors.facebook.connector import _ObjectMissing

        try:
            raw = self._call("reading the comment's state", GONE, comment_id, {"fields": fields})
        except _ObjectMissing:
            return CommentState(exists=False)
        raw = raw if isinstance(raw, dict) else {}
        hidden, liked = raw.get(hidden_field), raw.get(liked_field) if liked_field else None
        return CommentState(True, hidden if isinstance(hidden, bool) else None,
                            liked if isinstance(liked, bool) else None)
