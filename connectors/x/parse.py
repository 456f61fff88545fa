"""X API v2 payloads (`return_type=dict`): a tweet as an InboundPost, and
the batch of a poll's pages."""

from __future__ import annotations

import html
import re

from config.clock import parse_utc
from connectors.base import Author, Batch, InboundPost, MalformedPayload, SkippedItem

LANGUAGE = re.compile(r"^[a-z]{2}$")


def parse_tweet(raw: dict, users: dict[str, dict], brand_user_id: str | None) -> InboundPost:
    """An InboundPost from one tweet of a v2 response (`return_type=dict`)
    and the users of its `includes`, by id."""
    if not isinstance(raw, dict):
        raise MalformedPayload(f"a tweet must be an object, not {type(raw).__name__}")
    tweet_id = raw.get("id")
    if not isinstance(tweet_id, str) or not tweet_id.isdigit():
        raise MalformedPayload(f"tweet has no valid id: {tweet_id!r}")
    text = raw.get("text")
    if not isinstance(text, str):
        raise MalformedPayload(f"tweet {tweet_id} has no text")
    author_id = raw.get("author_id")
    if not author_id:
        raise MalformedPayload(f"tweet {tweet_id} has no author_id")
    user = users.get(author_id)
    if not isinstance(user, dict) or not user.get("username"):
        raise MalformedPayload(f"tweet {tweet_id}: author {author_id} is not in includes.users")
    created_at = parse_utc(raw.get("created_at"))
    if created_at is None:
        raise MalformedPayload(f"tweet {tweet_id} has no valid created_at: {raw.get('created_at')!r}")
    in_reply_to = replied_to(raw)
    metrics = user.get("public_metrics") or {}
    return InboundPost(
        platform="x",
        external_id=tweet_id,
        kind="reply" if in_reply_to else "post",
        text=html.unescape(text),
        author=Author(platform_user_id=author_id, handle=user["username"], name=user.get("name", ""),
                      followers=int(metrics.get("followers_count") or 0), verified=bool(user.get("verified"))),
        created_at=created_at,
        url=f"https://x.com/{user['username']}/status/{tweet_id}",
        conversation_id=raw.get("conversation_id"),
        in_reply_to=in_reply_to,
        by_brand=brand_user_id is not None and author_id == brand_user_id,
        language=raw["lang"] if isinstance(raw.get("lang"), str) and LANGUAGE.match(raw["lang"]) else None,
        raw={"tweet": raw, "user": user},
    )


def batch_from_pages(pages: list[dict], cursor: str | None, brand_user_id: str | None) -> Batch:
    """The posts of every page, each once and oldest first; what cannot be
    parsed is skipped. The cursor moves to the newest id seen, skipped
    items included, so they are not fetched again."""
    posts: dict[str, InboundPost] = {}
    skipped: list[SkippedItem] = []
    newest = int(cursor) if cursor and cursor.isdigit() else 0
    for page in pages:
        users = users_of(page)
        newest_id = page.get("meta", {}).get("newest_id")
        if isinstance(newest_id, str) and newest_id.isdigit():
            newest = max(newest, int(newest_id))
        for raw in page.get("data", []):
            try:
                post = parse_tweet(raw, users, brand_user_id)
            except MalformedPayload as error:
                skipped.append(SkippedItem(raw=raw, reason=str(error)))
                continue
            posts[post.external_id] = post
            newest = max(newest, int(post.external_id))
    ordered = sorted(posts.values(), key=lambda p: int(p.external_id))
    return Batch(posts=ordered, cursor=str(newest) if newest else cursor, skipped=skipped)


def users_of(page: dict) -> dict[str, dict]:
    """The users of a page's `includes`, by id."""
    included = page.get("includes", {}).get("users", [])
    return {u["id"]: u for u in included if isinstance(u, dict) and "id" in u}


def replied_to(raw: dict) -> str | None:
    for reference in raw.get("referenced_tweets") or []:
        if isinstance(reference, dict) and reference.get("type") == "replied_to" and reference.get("id"):
            return str(reference["id"])
    return None
