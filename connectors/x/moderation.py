"""Hiding and unhiding replies to the brand's posts on X through tweepy's
Client.hide_reply and unhide_reply (`PUT /2/tweets/:id/hidden`). X hides
replies only in conversations the brand's account started, with user
context (OAuth 1.0a). X shows no reply's hidden state through the API,
so an action whose outcome is unknown cannot be checked; setting the
same state again changes nothing, so it is sent again."""

from __future__ import annotations

from config.errors import ConfigError
from connectors.base import ConnectorError
from connectors.moderation import CommentState, StoredPost


class XModeration:
    """Mixed into XConnector, which gives `client`, `user_auth`,
    `_call` and `_needs_user_context`."""

    moderation_actions = frozenset({"hide", "unhide"})

    @classmethod
    def why_not_moderated(cls, account, post: StoredPost) -> str | None:
        """A reply to one of the brand's own posts (X names the user a
        post answers) can be hidden; the account's user_id says which
        user is the brand."""
        if post.kind != "reply":
            return f"an X {post.kind.replace('_', ' ')} cannot be hidden; only replies to the brand's posts"
        try:
            brand = account.credential("user_id")
        except ConfigError as error:
            return f"the X account's user_id cannot be read: {error}"
        if not brand:
            return "set user_id for this X account: it tells which replies answer the brand's own posts"
        tweet = post.raw.get("tweet") if isinstance(post.raw, dict) else None
        answered = tweet.get("in_reply_to_user_id") if isinstance(tweet, dict) else None
        if str(answered or "") != str(brand):
            return "this reply does not answer one of the brand's own posts on X"
        return None

    def moderate(self, action: str, comment_id: str) -> None:
        calls = {"hide": ("hiding the reply", self.client.hide_reply),
                 "unhide": ("unhiding the reply", self.client.unhide_reply)}
        if action not in calls:
            raise ConnectorError(f"X has no moderation action {action!r}", permanent=True)
        what, method = calls[action]
        self._needs_user_context(what)
        answer = self._call(what, method, comment_id, user_auth=True)
        hidden = (answer.get("data") or {}).get("hidden") if isinstance(answer, dict) else None
        if hidden is not (action == "hide"):
            raise ConnectorError(f"X answered {what} with hidden={hidden!r}", status=200)

    def comment_state(self, comment_id: str) -> CommentState | None:
        return None
