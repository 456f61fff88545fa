"""An Instagram professional account through facebook-sdk's GraphAPI, with
the access token of the Facebook page it is linked to: comments and
replies on the account's recent media, media it is tagged in, and its
direct messages (the Messenger Platform's conversations with
platform=instagram), polled by timestamp. Replies to comments go under
the comment, answers to mentions through `/{ig-user-id}/mentions`, and
answers to direct messages by direct message within Instagram's 24 hours.

It speaks Graph as the Facebook connector does (the same session, errors
and paging), so it is one: only its facts, reads and replies differ."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from connectors.base import Batch, ConnectorError, PostedReply, SourceKind
from connectors.facebook.connector import FacebookConnector, _ObjectMissing
from connectors.instagram.moderation import InstagramModeration
from connectors.instagram.parse import (mention_target, parse_comment, parse_mentioned_comment, parse_tagged_media,
                                        instagram_batch, timestamp_unix)

log = logging.getLogger(__name__)

MEDIA_FIELDS = "id,caption,media_type,media_url,thumbnail_url,permalink,timestamp,comments_count"
COMMENT_FIELDS = "id,text,timestamp,username,from,parent_id"
REPLY_FIELDS = f"replies{{{COMMENT_FIELDS}}}"
TAGGED_FIELDS = ("id,caption,media_type,media_url,thumbnail_url,permalink,timestamp,username,"
                 "children{media_type,media_url,thumbnail_url}")
MENTIONED_COMMENT_FIELDS = "id,text,timestamp,username,media{id,permalink}"
PERMISSIONS_FIX = ("grant the app instagram_basic, instagram_manage_comments, instagram_manage_messages, "
                   "pages_show_list and pages_read_engagement, then generate a new page access token")
DELETED = "the comment or media was deleted or is not visible"


class InstagramConnector(InstagramModeration, FacebookConnector):
    """One Instagram professional account, read and answered with the
    access token of its linked page."""

    platform = "instagram"
    credential_keys = ("ig_user_id", "username", "page_id", "page_access_token", "app_secret", "verify_token",
                       "graph_version")
    account_keys = credential_keys
    label = "Instagram"
    messaging_label = "Instagram"
    messaging_platform = "instagram"
    max_reply_length = 2200
    max_message_length = 1000
    can_reply = True
    can_message = True
    source_kinds = {"comments": SourceKind(), "mentions": SourceKind(), "messages": SourceKind()}
    # Where Instagram serves photos and videos, and direct messages' attachments.
    media_hosts = (".cdninstagram.com", ".fbcdn.net", "lookaside.fbsbx.com")
    permissions_fix = PERMISSIONS_FIX

    def __init__(self, ig_user_id: str | None, page_id: str | None, page_access_token: str | None,
                 username: str | None = None, **settings):
        if not ig_user_id:
            raise ConnectorError("Instagram account is missing ig_user_id", permanent=True)
        super().__init__(page_id, page_access_token, **settings)
        self.ig_user_id = ig_user_id
        self.brand_id = ig_user_id
        self.username = username or ""

    @classmethod
    def from_account(cls, account, *, timeout: float) -> InstagramConnector:
        """Build from an AccountSettings; a secret that cannot be read is a permanent error."""
        from config.settings import ConfigError

        try:
            values = {key: account.credential(key) for key in cls.credential_keys}
        except ConfigError as error:
            raise ConnectorError(f"Instagram account credentials cannot be read: {error}", permanent=True) from None
        return cls(**values, base_url=account.base_url, timeout=timeout)

    def fetch(self, kind: str, target: str, cursor: str | None, query: str = "") -> Batch:
        """What is newer than `cursor` (a timestamp in unix seconds), less
        `overlap_seconds`: repeats are dropped downstream by id."""
        floor = int(cursor) - self.overlap_seconds if cursor and cursor.isdigit() else None
        if kind == "comments":
            return instagram_batch(self._comments(floor), cursor)
        if kind == "mentions":
            parse = partial(parse_tagged_media, brand_id=self.ig_user_id, brand_username=self.username)
            items = self._edge(self.ig_user_id, "tags", None, "reading the media the account is tagged in",
                               self._missing_account, fields=TAGGED_FIELDS)
            return instagram_batch(((raw, parse) for raw in _down_to(items, floor)), cursor)
        if kind == "messages":
            return self.fetch_messages(cursor, floor)
        raise ConnectorError(f"Instagram has no source kind {kind!r} (known: {', '.join(self.source_kinds)})",
                             permanent=True)

    def _identity(self) -> str:
        """The account the token reaches: `GET /{ig-user-id}?fields=id,username`."""
        account = self._call("looking up the account", self._missing_account, self.ig_user_id,
                             {"fields": "id,username"})
        account = account if isinstance(account, dict) else {}
        return f"@{account.get('username') or self.username or '?'} (id {account.get('id') or self.ig_user_id})"

    def fetch_mentioned(self, media_id: str, comment_id: str | None) -> Batch:
        """The comment or media a `mentions` webhook names (it carries ids
        only), read through the account's mentioned_comment or
        mentioned_media field."""
        if comment_id:
            field = f"mentioned_comment.comment_id({comment_id}){{{MENTIONED_COMMENT_FIELDS}}}"
            parse = partial(parse_mentioned_comment, media_id=media_id)
        else:
            field = f"mentioned_media.media_id({media_id}){{{TAGGED_FIELDS}}}"
            parse = partial(parse_tagged_media, brand_id=self.ig_user_id, brand_username=self.username)
        answer = self._call("reading a mention", DELETED, self.ig_user_id, {"fields": field})
        found = answer.get(field.partition(".")[0]) if isinstance(answer, dict) else None
        return instagram_batch([(found, parse)], None)

    def post_reply(self, in_reply_to: str, text: str) -> PostedReply:
        """A reply under a comment (`POST /{comment-id}/replies`; Instagram
        files an answer to a reply under its comment), or a comment on the
        media or comment the account was mentioned in."""
        if not text.strip():
            raise ConnectorError("an empty reply cannot be posted on Instagram", permanent=True)
        if len(text) > self.max_reply_length:
            raise ConnectorError(f"a reply on Instagram can have at most {self.max_reply_length} characters; "
                                 f"this one has {len(text)}", permanent=True)
        mention = mention_target(in_reply_to)
        if mention is None:
            answer = self._call("posting a reply", DELETED, f"{in_reply_to}/replies", post={"message": text})
        else:
            media_id, comment_id = mention
            args = {"media_id": media_id, "message": text, **({"comment_id": comment_id} if comment_id else {})}
            answer = self._call("answering a mention", DELETED, f"{self.ig_user_id}/mentions", post=args)
        comment_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(comment_id, str) or not comment_id:
            raise ConnectorError("Instagram answered a reply without the new comment's id; it may have been posted")
        return PostedReply(external_id=comment_id, url=self._profile_url)

    def find_reply(self, in_reply_to: str, text: str) -> PostedReply | None:
        """The account's reply with this text under the comment or, for a
        reply, under the comment it answers; for a mention, among the
        comments of the media it is on."""
        wanted = " ".join(text.split())
        mention = mention_target(in_reply_to)
        if mention is not None:
            field = f"mentioned_media.media_id({mention[0]}){{comments{{{COMMENT_FIELDS},{REPLY_FIELDS}}}}}"
            answer = self._call("looking for an earlier reply", DELETED, self.ig_user_id, {"fields": field})
            media = answer.get("mentioned_media") if isinstance(answer, dict) else None
            candidates = [item for comment in _listed(media, "comments")
                          for item in [comment, *_listed(comment, "replies")]]
        else:
            comment = self._call("looking for an earlier reply", DELETED, in_reply_to,
                                 {"fields": f"id,parent_id,{REPLY_FIELDS}"})
            parent = comment.get("parent_id") if isinstance(comment, dict) else None
            if isinstance(parent, str) and parent:
                comment = self._call("looking for an earlier reply", DELETED, parent, {"fields": f"id,{REPLY_FIELDS}"})
            candidates = _listed(comment, "replies")
        for raw in reversed(candidates):
            if (isinstance(raw, dict) and self._is_ours(raw) and isinstance(raw.get("id"), str)
                    and isinstance(raw.get("text"), str) and " ".join(raw["text"].split()) == wanted):
                return PostedReply(external_id=raw["id"], url=self._profile_url)
        return None

    def _is_ours(self, raw: dict) -> bool:
        sender = raw.get("from") if isinstance(raw.get("from"), dict) else {}
        return sender.get("id") == self.ig_user_id or bool(self.username and raw.get("username") == self.username)

    @property
    def _profile_url(self) -> str:
        """Instagram gives comments no address of their own: the account's page."""
        return f"https://www.instagram.com/{self.username}/" if self.username else "https://www.instagram.com/"

    @property
    def _missing_account(self) -> str:
        return (f"Instagram account {self.ig_user_id} does not exist or is not linked to page {self.page_id}: "
                "check ig_user_id")

    def _comments(self, floor: int | None) -> Iterator[tuple[Any, Callable]]:
        """Comments and replies on the account's recent media since
        `floor`. Comments come newest first but a new reply can sit under
        an old comment, so each media's comments are read whole (up to
        max_pages) and filtered by time."""
        recent = self._call("reading the account's recent media", self._missing_account, f"{self.ig_user_id}/media",
                            {"fields": MEDIA_FIELDS, "limit": self.recent_posts})
        for media in recent.get("data", []) if isinstance(recent, dict) else []:
            if not isinstance(media, dict) or not isinstance(media.get("id"), str) or not media.get("comments_count"):
                continue
            try:
                comments = list(self._edge(media["id"], "comments", None, "reading comments", DELETED,
                                           fields=f"{COMMENT_FIELDS},{REPLY_FIELDS}"))
            except _ObjectMissing:
                log.info("Instagram media %s went away while its comments were read", media["id"])
                continue
            parse = partial(parse_comment, media=media, brand_id=self.ig_user_id, brand_username=self.username)
            for comment in comments:
                if not _before(comment, floor):
                    yield comment, parse
                for reply in _listed(comment, "replies"):
                    if not _before(reply, floor):
                        yield reply, partial(parse, parent_id=comment.get("id"))


def _before(raw: Any, floor: int | None) -> bool:
    moment = timestamp_unix(raw)
    return floor is not None and moment is not None and moment < floor


def _down_to(items: Iterator[Any], floor: int | None) -> Iterator[Any]:
    """Items newest first, up to the first one older than `floor`."""
    for item in items:
        if _before(item, floor):
            return
        yield item


def _listed(raw: Any, field: str) -> list:
    """The `data` list of an object's edge field, or nothing."""
    edge = raw.get(field) if isinstance(raw, dict) else None
    items = edge.get("data") if isinstance(edge, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
