"""Arbitrary Unicode (NUL, lone surrogates), huge, empty and malformed
payloads through each platform's parser, and what they give through the
intake on both databases: nothing raises past the quarantine (a parser may
refuse a whole document that is not one), every text is storable, and
every post is stored or quarantined exactly once. The number of examples
is bounded, so this runs in seconds."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from config import load_settings
from connectors.base import InboundPost, MalformedPayload, SkippedItem
from connectors.facebook.webhook import parse_webhook
from connectors.reddit.parse import fullname_of, parse_children
from connectors.reviews.parse import parse_document
from connectors.x.parse import ID, batch_from_pages
from listener.intake import Intake
from listener.quarantine import quarantine_item
from store.models import Mention, QuarantinedPost
from tests import TEST_SECRET_KEY

BRAND = "1600000000000000001"
PAGE_ID = "1029384756"
NOW = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
PARSER_EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INTAKE_EXAMPLES = settings(max_examples=25, deadline=None,
                           suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# -- payloads ------------------------------------------------------------------------------------------------

letters = st.characters(categories=["Cs"]) | st.characters()
short = st.text(alphabet=letters, max_size=30)
huge = st.integers(1, 40_000).map(lambda n: "a\x00\ud800 é " * n)
texts = st.one_of(short, st.just(""), huge)
junk = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | short,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(short, inner, max_size=3),
                    max_leaves=6)


def maybe(strategy):
    """What the platform documents, or anything at all in its place."""
    return st.one_of(strategy, junk)


def shaped(required: dict, optional: dict | None = None):
    return maybe(st.fixed_dictionaries(required, optional=optional or {}))


X_AUTHORS = ["7", "8", "9", BRAND]
x_user = shaped({"id": maybe(st.sampled_from(X_AUTHORS)), "username": maybe(texts)},
                {"name": maybe(texts), "verified": junk,
                 "public_metrics": shaped({"followers_count": maybe(st.integers(0, 2 ** 70))})})
x_tweet = shaped({"id": maybe(st.integers(1900000000000000000, 1900000000000000020).map(str)),
                  "text": maybe(texts), "author_id": maybe(st.sampled_from(X_AUTHORS)),
                  "created_at": maybe(st.sampled_from(["2026-01-05T09:00:00.000Z", "0001-01-01T00:00:00+01:00"]))},
                 {"note_tweet": shaped({"text": texts}), "referenced_tweets": junk, "lang": junk,
                  "conversation_id": junk})
x_page = shaped({"data": maybe(st.lists(x_tweet, max_size=6))},
                {"includes": shaped({"users": maybe(st.lists(x_user, max_size=4))}), "meta": junk, "errors": junk})

reddit_names = st.builds("{}_{}".format, st.sampled_from(["t1", "t3", "t4"]), st.sampled_from(["a1", "b7", "zz9"]))
reddit_child = shaped({"kind": maybe(st.sampled_from(["t1", "t3", "t4"])), "data": shaped(
    {"name": maybe(reddit_names), "author": maybe(st.none() | texts),
     "author_fullname": maybe(st.sampled_from(["t2_x1", "t2_acme", None])),
     "created_utc": maybe(st.floats() | st.integers()), "body": maybe(texts)},
    {"title": maybe(texts), "selftext": maybe(texts), "parent_id": maybe(reddit_names),
     "link_id": maybe(reddit_names), "subreddit": maybe(st.sampled_from(["acme", "acmehelp"]) | texts),
     "permalink": maybe(texts), "context": maybe(texts), "type": junk, "first_message_name": junk})})
reddit_listing = st.lists(reddit_child, max_size=6)

fb_value = shaped({"item": maybe(st.sampled_from(["comment", "post", "status", "rating"])),
                   "verb": maybe(st.sampled_from(["add", "edited", "remove"])),
                   "post_id": maybe(st.just(f"{PAGE_ID}_555")),
                   "comment_id": maybe(st.sampled_from(["555_1", "555_2"])),
                   "from": shaped({"id": maybe(st.sampled_from(["4242", "4343", PAGE_ID])), "name": maybe(texts)}),
                   "message": maybe(texts), "created_time": maybe(st.integers() | texts)},
                  {"parent_id": junk, "rating": junk, "review_text": maybe(texts), "recommendation_type": junk})
fb_delivery = shaped({"object": st.just("page"), "entry": maybe(st.lists(shaped(
    {"id": maybe(st.sampled_from([PAGE_ID, "other"])),
     "changes": maybe(st.lists(shaped({"field": maybe(st.sampled_from(["feed", "ratings"])), "value": fb_value}),
                               max_size=4))}), max_size=3))})

review = shaped({"id": maybe(st.sampled_from(["r1", "r2", "r3"])), "text": maybe(texts),
                 "date": maybe(st.sampled_from(["2026-01-05T09:00:00Z", "nope"]))},
                {"rating": junk, "author": maybe(texts | shaped({"name": texts})), "title": maybe(texts)})
reviews_feed = shaped({"reviews": maybe(st.lists(review, max_size=6))})


# -- each platform's parser, as its connector calls it ----------------------------------------------------------

def parse_x(page) -> tuple[list[InboundPost], list[SkippedItem]]:
    batch = batch_from_pages([page] if isinstance(page, dict) else [], None, BRAND)
    return batch.posts, batch.skipped


def parse_reddit(children) -> tuple[list[InboundPost], list[SkippedItem]]:
    return parse_children(children, "acme")


def parse_facebook(delivery) -> tuple[list[InboundPost], list[SkippedItem]]:
    return parse_webhook(delivery, PAGE_ID)


def parse_reviews(feed) -> tuple[list[InboundPost], list[SkippedItem]]:
    return parse_document(json.dumps(feed).encode(), "https://reviews.example/feed.json", "application/json")


PLATFORMS = {"x": (parse_x, x_page), "reddit": (parse_reddit, reddit_listing),
             "facebook": (parse_facebook, fb_delivery), "reviews": (parse_reviews, reviews_feed)}


def parsed(platform: str, payload) -> tuple[list[InboundPost], list[SkippedItem]]:
    """The posts and skipped items of a payload; none when the parser
    refuses it whole (the connector reports that as a failed fetch)."""
    try:
        return PLATFORMS[platform][0](payload)
    except MalformedPayload:
        return [], []


def storable_texts(post: InboundPost) -> bool:
    values = [post.external_id, post.text, post.url, post.conversation_id, post.in_reply_to, post.language,
              post.author.platform_user_id, post.author.handle, post.author.name]
    return not any(isinstance(v, str) and UNSTORABLE.search(v) for v in values)


def input_ids(platform: str, payload) -> set[str]:
    """The ids of the payload's items that X or Reddit can name, parsed or not."""
    if platform == "x" and isinstance(payload, dict) and isinstance(payload.get("data"), list):
        return {t["id"] for t in payload["data"] if isinstance(t, dict) and isinstance(t.get("id"), str)
                and ID.match(t["id"])}
    if platform == "reddit":
        return {name for name in map(fullname_of, payload) if name}
    return set()


def check_parser(platform: str, payload) -> None:
    posts, skipped = parsed(platform, payload)
    assert all(storable_texts(post) for post in posts)
    assert input_ids(platform, payload) <= {p.external_id for p in posts} | {s.external_id for s in skipped}


@PARSER_EXAMPLES
@given(x_page)
def test_the_x_parser_reads_or_skips_every_tweet(page):
    check_parser("x", page)


@PARSER_EXAMPLES
@given(reddit_listing)
def test_the_reddit_parser_reads_or_skips_every_thing(children):
    check_parser("reddit", children)


@PARSER_EXAMPLES
@given(fb_delivery)
def test_the_facebook_webhook_parser_reads_or_skips_every_change(delivery):
    check_parser("facebook", delivery)


@PARSER_EXAMPLES
@given(reviews_feed)
def test_the_reviews_parser_reads_or_skips_every_review(feed):
    check_parser("reviews", feed)


# -- through the intake -------------------------------------------------------------------------------------------

@cache
def intake() -> Intake:
    return Intake(load_settings(env={}, overrides={"web": {"secret_key": TEST_SECRET_KEY}}))


def check_intake(db, platform: str, payload) -> None:
    """Take the payload in as a poll would, inside a transaction that is
    rolled back, and count where each post went."""
    posts, skipped = parsed(platform, payload)
    own = {p.external_id for p in posts if p.by_brand}
    expected = ({p.external_id for p in posts} | {s.external_id for s in skipped if s.external_id}) - own
    with db.sessions() as session, session.begin():
        try:
            intake().ingest(session, posts, NOW)
            for item in skipped:
                quarantine_item(session, platform, item, None, NOW)
            session.flush()
            stored = session.scalars(select(Mention.external_id).where(Mention.platform == platform)).all()
            kept = session.scalars(select(QuarantinedPost.external_id)
                                   .where(QuarantinedPost.platform == platform)).all()
            nameless = session.scalar(select(func.count()).select_from(QuarantinedPost)
                                      .where(QuarantinedPost.external_id.is_(None)))
        finally:
            session.rollback()
    places = [*stored, *(k for k in kept if k is not None)]
    assert sorted(places) == sorted(expected), "each post is stored or quarantined, once"
    assert nameless == sum(1 for s in skipped if not s.external_id)


@INTAKE_EXAMPLES
@given(payload=x_page)
def test_x_payloads_through_the_intake(db, payload):
    check_intake(db, "x", payload)


@INTAKE_EXAMPLES
@given(payload=reddit_listing)
def test_reddit_payloads_through_the_intake(db, payload):
    check_intake(db, "reddit", payload)


@INTAKE_EXAMPLES
@given(payload=fb_delivery)
def test_facebook_payloads_through_the_intake(db, payload):
    check_intake(db, "facebook", payload)


@INTAKE_EXAMPLES
@given(payload=reviews_feed)
def test_reviews_payloads_through_the_intake(db, payload):
    check_intake(db, "reviews", payload)
