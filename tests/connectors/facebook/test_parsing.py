import json
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import pytest

from connectors.base import MalformedPayload
from connectors.facebook.parse import batch_from, parse_comment, parse_post, parse_rating

FIXTURES = Path(__file__).resolve().parents[3] / "connectors" / "facebook" / "fixtures"
PAGE_ID = "108800000000001"
POST_ID = "108800000000001_122110000000000304"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def item(name: str, index: int) -> dict:
    return load(name)["data"][index]


def test_it_parses_a_visitor_post_with_its_author():
    post = parse_post(item("feed_page.json", 0), PAGE_ID)

    assert post.platform == "facebook"
    assert post.external_id == "108800000000001_122110000000000305"
    assert post.kind == "post"
    assert post.text.startswith("Three weeks and my refund for order 5521")
    assert post.author.platform_user_id == "7003000000000101"
    assert post.author.name == "Priya Nandakumar"
    assert post.author.handle == "Priya Nandakumar"
    assert post.url == "https://www.facebook.com/108800000000001/posts/122110000000000305"
    assert post.conversation_id == post.external_id
    assert post.in_reply_to is None
    assert post.by_brand is False


def test_it_reads_graph_times_as_aware_utc():
    post = parse_post(item("feed_page.json", 0), PAGE_ID)

    assert post.created_at == datetime(2026, 1, 7, 8, 12, tzinfo=timezone.utc)


def test_it_marks_the_pages_own_post_as_by_brand():
    assert parse_post(item("feed_page.json", 1), PAGE_ID).by_brand is True


def test_it_reads_a_post_without_a_message_as_empty_text():
    assert parse_post(item("feed_page.json", 2), PAGE_ID).text == ""


def test_it_links_to_the_object_when_there_is_no_permalink():
    post = parse_post(item("feed_page.json", 3), PAGE_ID)

    assert post.url == "https://www.facebook.com/108800000000001_122110000000000302"


def test_it_keeps_the_raw_post():
    raw = item("feed_page.json", 0)

    assert parse_post(raw, PAGE_ID).raw == raw


@pytest.mark.parametrize("change, reason", [
    ({"id": None}, "no valid id"),
    ({"id": 122110000000000305}, "no valid id"),
    ({"from": None}, "no from with an id"),
    ({"from": {"name": "No Id"}}, "no from with an id"),
    ({"message": ["not", "text"]}, "not text"),
    ({"created_time": None}, "no valid created_time"),
    ({"created_time": "2026-01-07T08:12:00"}, "no valid created_time"),
])
def test_it_refuses_a_post_that_lacks_what_we_need(change, reason):
    raw = item("feed_page.json", 0)
    broken = {key: value for key, value in {**raw, **change}.items() if value is not None}

    with pytest.raises(MalformedPayload, match=reason):
        parse_post(broken, PAGE_ID)


def test_it_refuses_a_post_that_is_not_an_object():
    with pytest.raises(MalformedPayload, match="must be an object"):
        parse_post(["108800000000001_1", "hello"], PAGE_ID)


def test_it_parses_a_top_level_comment_under_its_post():
    comment = parse_comment(item("comments_stream.json", 2), POST_ID, PAGE_ID)

    assert comment.kind == "comment"
    assert comment.external_id == "122110000000000304_1400000000000001"
    assert comment.in_reply_to == POST_ID
    assert comment.conversation_id == POST_ID
    assert comment.author.name == "Marta Lindqvist"
    assert comment.url.endswith("?comment_id=1400000000000001")
    assert comment.by_brand is False


def test_it_parses_a_reply_to_a_comment():
    reply = parse_comment(item("comments_stream.json", 1), POST_ID, PAGE_ID)

    assert reply.kind == "reply"
    assert reply.in_reply_to == "122110000000000304_1400000000000001"
    assert reply.conversation_id == POST_ID


def test_it_marks_the_pages_own_comment_as_by_brand():
    assert parse_comment(item("comments_stream.json", 0), POST_ID, PAGE_ID).by_brand is True


def test_it_refuses_a_comment_whose_parent_has_no_id():
    raw = {**item("comments_stream.json", 1), "parent": {"message": "lost"}}

    with pytest.raises(MalformedPayload, match="parent without an id"):
        parse_comment(raw, POST_ID, PAGE_ID)


def test_it_parses_a_recommendation_as_a_review_with_its_story_id():
    review = parse_rating(item("ratings_page.json", 0))

    assert review.kind == "review"
    assert review.external_id == "1230000000000402"
    assert review.conversation_id == "1230000000000402"
    assert review.rating == 1
    assert review.raw["recommendation_type"] == "negative"
    assert review.text.startswith("Support hung up on me twice")
    assert review.author.platform_user_id == "7003000000000401"
    assert review.url == "https://www.facebook.com/1230000000000402"
    assert review.created_at == datetime(2026, 1, 6, 16, 20, 5, tzinfo=timezone.utc)


def test_it_rates_a_positive_recommendation_five():
    assert parse_rating(item("ratings_page.json", 2)).rating == 5


def test_it_refuses_a_recommendation_without_its_story():
    with pytest.raises(MalformedPayload, match="open_graph_story"):
        parse_rating(item("ratings_page.json", 1))


def test_it_refuses_a_recommendation_that_is_neither_positive_nor_negative():
    raw = {**item("ratings_page.json", 0), "recommendation_type": "neutral"}

    with pytest.raises(MalformedPayload, match="recommendation_type"):
        parse_rating(raw)


def test_it_skips_malformed_posts_and_keeps_the_rest_of_the_batch():
    raws = load("feed_with_malformed_posts.json")["data"]
    parse = partial(parse_post, page_id=PAGE_ID)

    batch = batch_from([(raw, parse) for raw in raws], None)

    assert [p.external_id for p in batch.posts] == ["108800000000001_122110000000000405",
                                                    "108800000000001_122110000000000409"]
    assert len(batch.skipped) == 3
    assert "no from" in batch.skipped[0].reason
    assert "created_time" in batch.skipped[1].reason
    assert "no valid id" in batch.skipped[2].reason


def test_it_moves_the_cursor_to_the_newest_time_seen_skipped_items_included():
    raws = load("feed_with_malformed_posts.json")["data"][1:]
    parse = partial(parse_post, page_id=PAGE_ID)

    batch = batch_from([(raw, parse) for raw in raws], "1767000000")

    newest_skipped = int(datetime(2026, 1, 8, 10, 15, tzinfo=timezone.utc).timestamp())
    assert batch.cursor == str(newest_skipped)


def test_it_returns_each_item_once_oldest_first():
    raws = load("comments_stream.json")["data"]
    parse = partial(parse_comment, post_id=POST_ID, page_id=PAGE_ID)

    batch = batch_from([(raw, parse) for raw in raws + raws], None)

    assert [p.external_id for p in batch.posts] == ["122110000000000304_1400000000000001",
                                                    "122110000000000304_1400000000000002",
                                                    "122110000000000304_1400000000000003"]


def test_it_never_moves_the_cursor_back():
    raws = load("ratings_page.json")["data"]

    batch = batch_from([(raw, parse_rating) for raw in raws], "1999999999")

    assert batch.cursor == "1999999999"


def test_it_keeps_the_old_cursor_when_nothing_came():
    batch = batch_from([], "1767000000")

    assert batch.posts == [] and batch.skipped == []
    assert batch.cursor == "1767000000"
