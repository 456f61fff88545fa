import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.base import MalformedPayload
from connectors.x.parse import batch_from_pages, parse_tweet

FIXTURES = Path(__file__).resolve().parents[3] / "connectors" / "x" / "fixtures"
BRAND_ID = "1600000000000000001"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def tweet_and_users(name: str, index: int = 0) -> tuple[dict, dict]:
    page = load(name)
    return page["data"][index], {u["id"]: u for u in page["includes"]["users"]}


def test_it_parses_a_mention_with_its_author():
    raw, users = tweet_and_users("mentions_page.json", 2)

    post = parse_tweet(raw, users, BRAND_ID)

    assert post.platform == "x"
    assert post.external_id == "1900000000000000100"
    assert post.kind == "post"
    assert post.author.platform_user_id == "1600000000000000044"
    assert post.author.handle == "oskar_builds"
    assert post.author.name == "Oskar Builds Things"
    assert post.author.followers == 48210
    assert post.author.verified is True
    assert post.url == "https://x.com/oskar_builds/status/1900000000000000100"
    assert post.conversation_id == "1900000000000000100"
    assert post.in_reply_to is None
    assert post.by_brand is False


def test_it_reads_created_at_as_aware_utc():
    raw, users = tweet_and_users("mentions_page.json", 0)

    post = parse_tweet(raw, users, BRAND_ID)

    assert post.created_at == datetime(2026, 1, 5, 9, 14, 2, tzinfo=timezone.utc)
    assert post.created_at.utcoffset().total_seconds() == 0


def test_it_unescapes_the_entities_x_puts_in_texts():
    first, users = tweet_and_users("mentions_page.json", 0)
    last, _ = tweet_and_users("mentions_page.json", 2)

    assert "order 4471 & nobody" in parse_tweet(first, users, BRAND_ID).text
    assert parse_tweet(last, users, BRAND_ID).text.endswith("at login <again>")


def test_it_marks_a_reply_with_the_post_it_answers_and_its_conversation():
    raw, users = tweet_and_users("conversation_reply.json")

    post = parse_tweet(raw, users, BRAND_ID)

    assert post.kind == "reply"
    assert post.in_reply_to == "1900000000000000411"
    assert post.conversation_id == "1900000000000000400"


def test_it_treats_a_quote_as_a_post_not_a_reply():
    raw, users = tweet_and_users("search_page.json", 1)

    post = parse_tweet(raw, users, BRAND_ID)

    assert post.kind == "post"
    assert post.in_reply_to is None


def test_it_marks_the_brands_own_posts():
    raw, users = tweet_and_users("search_page.json", 0)

    assert parse_tweet(raw, users, BRAND_ID).by_brand is True
    assert parse_tweet(raw, users, None).by_brand is False


def test_it_keeps_the_tweet_and_its_user_in_raw():
    raw, users = tweet_and_users("mentions_page.json", 1)

    post = parse_tweet(raw, users, BRAND_ID)

    assert post.raw == {"tweet": raw, "user": users["1600000000000000043"]}


def test_it_counts_no_followers_when_the_user_has_no_metrics():
    raw, users = tweet_and_users("mentions_page.json", 1)
    bare = {"1600000000000000043": {"id": "1600000000000000043", "username": "tinkerjune", "name": "June"}}

    post = parse_tweet(raw, bare, BRAND_ID)

    assert post.author.followers == 0
    assert post.author.verified is False


@pytest.mark.parametrize("change, reason", [
    ({"id": None}, "no valid id"),
    ({"id": 1900000000000000105}, "no valid id"),
    ({"text": None}, "no text"),
    ({"author_id": None}, "no author_id"),
    ({"author_id": "1600000000000000999"}, "not in includes.users"),
    ({"created_at": None}, "no valid created_at"),
    ({"created_at": "5 January 2026"}, "no valid created_at"),
    ({"created_at": "2026-01-05T09:14:02"}, "no valid created_at"),
])
def test_it_refuses_a_tweet_that_lacks_what_we_need(change, reason):
    raw, users = tweet_and_users("mentions_page.json", 0)
    broken = {key: value for key, value in {**raw, **change}.items() if value is not None}

    with pytest.raises(MalformedPayload, match=reason):
        parse_tweet(broken, users, BRAND_ID)


def test_it_refuses_a_tweet_that_is_not_an_object():
    with pytest.raises(MalformedPayload):
        parse_tweet(["1900000000000000105", "text"], {}, BRAND_ID)


def test_it_skips_malformed_tweets_and_keeps_the_rest_of_the_batch():
    batch = batch_from_pages([load("page_with_malformed_tweets.json")], None, BRAND_ID)

    assert [p.external_id for p in batch.posts] == ["1900000000000000306", "1900000000000000309"]
    assert [s.raw["id"] for s in batch.skipped] == ["1900000000000000308", "1900000000000000307"]
    assert "no author_id" in batch.skipped[0].reason
    assert "created_at" in batch.skipped[1].reason


def test_it_moves_the_cursor_past_skipped_tweets():
    page = load("page_with_malformed_tweets.json")
    page["data"] = page["data"][1:]
    page["meta"]["newest_id"] = "1900000000000000308"

    batch = batch_from_pages([page], "1900000000000000001", BRAND_ID)

    assert batch.cursor == "1900000000000000308"


def test_it_returns_the_posts_of_every_page_once_oldest_first():
    first, second = load("search_page.json"), load("mentions_page.json")
    repeated = load("mentions_page.json")

    batch = batch_from_pages([first, second, repeated], None, BRAND_ID)

    ids = [p.external_id for p in batch.posts]
    assert ids == sorted(set(ids), key=int)
    assert len(ids) == 6
    assert batch.cursor == "1900000000000000212"


def test_it_keeps_the_old_cursor_when_nothing_is_new():
    batch = batch_from_pages([load("empty_page.json")], "1900000000000000777", BRAND_ID)

    assert batch.posts == []
    assert batch.skipped == []
    assert batch.cursor == "1900000000000000777"


@pytest.mark.parametrize("lang, language", [("es", "es"), ("und", None), ("qme", None), (None, None), (7, None)])
def test_it_keeps_the_language_x_detected_when_it_is_a_language(lang, language):
    raw, users = tweet_and_users("mentions_page.json", 0)
    assert parse_tweet({**raw, "lang": lang}, users, BRAND_ID).language == language
