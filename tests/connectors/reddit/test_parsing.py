import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.base import MalformedPayload
from connectors.reddit.parse import (CURSOR_MAX_LENGTH, id_number, listing_children, matches_query, oldest_first,
                                     parse_children, parse_thing, rate_limit_wait, read_search_cursor,
                                     search_cursor)

FIXTURES = Path(__file__).resolve().parents[3] / "connectors" / "reddit" / "fixtures"
BRAND = "acme"


def children(name: str) -> list:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))["data"]["children"]


def thing(name: str, fullname: str) -> dict:
    return next(c for c in children(name) if c["data"]["name"] == fullname)


def test_it_parses_a_username_mention_from_the_inbox():
    post = parse_thing(thing("unread_inbox.json", "t1_m0f2z01"), BRAND)

    assert post.platform == "reddit"
    assert post.external_id == "t1_m0f2z01"
    assert post.kind == "comment"
    assert post.text == "u/acme my kettle has leaked since Tuesday, what now?"
    assert post.author.platform_user_id == "t2_3vx81b"
    assert post.author.handle == "maple_rider"
    assert post.in_reply_to == "t3_1b7kp0c"
    assert post.by_brand is False


def test_it_takes_the_thread_and_url_of_an_inbox_comment_from_its_context():
    post = parse_thing(thing("unread_inbox.json", "t1_m0f2z01"), BRAND)

    assert post.conversation_id == "t3_1b7kp0c"
    assert post.url == "https://www.reddit.com/r/kitchengear/comments/1b7kp0c/kettle_leaking_after_a_week/m0f2z01/"


def test_it_reads_created_utc_as_aware_utc():
    post = parse_thing(thing("unread_inbox.json", "t1_m0f2z01"), BRAND)

    assert post.created_at == datetime(2026, 1, 5, 9, 14, 2, tzinfo=timezone.utc)


def test_it_marks_an_answer_to_the_brands_comment_as_a_reply():
    post = parse_thing(thing("unread_inbox.json", "t1_m0f3k9x"), BRAND)

    assert post.kind == "reply"
    assert post.in_reply_to == "t1_m0f3a77"
    assert post.conversation_id == "t3_1b7kq2z"
    assert post.text == "That did not help, the lid still cracks <again>."


def test_it_parses_a_private_message_as_a_direct_message_in_its_own_conversation():
    post = parse_thing(thing("unread_inbox.json", "t4_2f0a010"), BRAND)

    assert post.kind == "direct_message"
    assert post.text == "Hi, I was charged twice for my AcmeBox & nobody answers email."
    assert post.conversation_id == "t4_2f0a010"
    assert post.in_reply_to is None
    assert post.url == "https://www.reddit.com/message/messages/2f0a010"


def test_it_threads_an_answer_to_a_message_under_the_first_message():
    post = parse_thing(thing("unread_inbox.json", "t4_2f0a013"), BRAND)

    assert post.conversation_id == "t4_2f0a010"
    assert post.in_reply_to == "t4_2f0a011"


def test_it_joins_a_posts_title_and_text():
    post = parse_thing(thing("search_page.json", "t3_1b7m0ff"), BRAND)

    assert post.kind == "post"
    assert post.text.startswith("AcmeBox heater smells like burning\n\nBought it last week.")
    assert post.text.endswith("Is it safe to keep using?")
    assert post.conversation_id == "t3_1b7m0ff"
    assert post.in_reply_to is None
    assert post.url == "https://www.reddit.com/r/acme/comments/1b7m0ff/acmebox_heater_smells_like_burning/"


def test_it_uses_the_title_alone_for_a_post_without_text():
    post = parse_thing(thing("search_page.json", "t3_1b7m0aa"), BRAND)

    assert post.text == "Does the AcmeBox mini work with 110V outlets?"


def test_it_threads_a_subreddit_comment_under_its_post():
    post = parse_thing(thing("subreddit_comments.json", "t1_m0g7a10"), BRAND)

    assert post.kind == "comment"
    assert post.conversation_id == "t3_1b7m0ff"
    assert post.in_reply_to == "t3_1b7m0ff"
    assert post.url == "https://www.reddit.com/r/acme/comments/1b7m0ff/acmebox_heater_smells_like_burning/m0g7a10/"


def test_it_recognises_the_brands_own_comment_whatever_the_case_of_its_name():
    post = parse_thing(thing("subreddit_comments.json", "t1_m0g7a42"), BRAND)

    assert post.by_brand is True
    assert parse_thing(thing("subreddit_comments.json", "t1_m0g7a42"), None).by_brand is False


def test_it_keeps_the_thing_as_reddit_sent_it():
    child = thing("search_page.json", "t3_1b7m0ff")

    assert parse_thing(child, BRAND).raw == {"kind": "t3", "data": child["data"]}


def test_it_skips_malformed_items_and_keeps_the_rest():
    posts, skipped = parse_children(children("page_with_malformed_items.json"), BRAND)

    assert [p.external_id for p in posts] == ["t1_m0h1c05", "t4_2f0b001"]
    reasons = [s.reason for s in skipped]
    assert reasons == [
        "t1_m0h1c04 has no author (deleted or missing)",
        "t1_m0h1c03 has no valid created_utc: 'yesterday around eight'",
        "a listing child must be an object with kind and data",
        "t1_m0h1c01 has no author_fullname",
    ]


@pytest.mark.parametrize("child, reason", [
    ({"kind": "t5", "data": {"name": "t5_2qh1i"}}, "is not a comment, post or message"),
    ({"kind": "t1", "data": {"name": "t3_1b7m0ff"}}, "no valid fullname"),
    ({"kind": "t3", "data": {"name": "t3_1b7m0ff", "author": "lena_k", "author_fullname": "t2_9pd2wn",
                             "created_utc": 1767686730.0}}, "has no title"),
    ({"kind": "t1", "data": {"name": "t1_m0g7a10", "author": "lena_k", "author_fullname": "t2_9pd2wn",
                             "created_utc": 1767686730.0, "body": "hi"}}, "has no parent_id"),
])
def test_it_refuses_a_thing_without_what_it_needs(child, reason):
    with pytest.raises(MalformedPayload, match=reason):
        parse_thing(child, BRAND)


def test_it_reads_the_children_and_next_anchor_of_a_listing():
    page = json.loads((FIXTURES / "search_page.json").read_text(encoding="utf-8"))

    found, after = listing_children(page)

    assert len(found) == 2
    assert after == "t3_1b7m0aa"


@pytest.mark.parametrize("page", [{"json": {"errors": []}}, {"kind": "Listing", "data": {}}, [], None])
def test_it_refuses_an_answer_that_is_not_a_listing(page):
    with pytest.raises(MalformedPayload):
        listing_children(page)


def test_it_orders_posts_oldest_first_and_keeps_each_once():
    posts, _ = parse_children(children("unread_inbox.json") + children("unread_inbox.json")[:1], BRAND)

    assert [p.external_id for p in oldest_first(posts)] == ["t1_m0f2z01", "t1_m0f3k9x", "t4_2f0a010", "t4_2f0a013"]


def test_it_compares_ids_as_base36_counters():
    assert id_number("t1_m0g7a42") > id_number("t1_m0g7a10") > id_number("t1_9zzzzz")


@pytest.mark.parametrize("query, expected", [
    ("", True),
    ("heater", True),
    ("HEATER smells", True),
    ("heater refund", False),
    ("refund OR smells", True),
    ("refund OR kettle", False),
    ('"smells like burning"', True),
    ('"burning like smells"', False),
    ('"like   burning" heater OR kettle', True),
])
def test_it_matches_keyword_queries(query, expected):
    assert matches_query("My AcmeBox Heater smells like\nburning", query) is expected


@pytest.mark.parametrize("message, seconds", [
    ("Looks like you've been doing that a lot. Take a break for 9 minutes before trying again.", 540),
    ("you are doing that too much. try again in 1 minute.", 60),
    ("Take a break for 45 seconds before trying again.", 45),
    ("Take a break for 500 milliseconds before trying again.", 0.5),
    ("slow down", None),
])
def test_it_reads_the_wait_from_a_ratelimit_message(message, seconds):
    assert rate_limit_wait(message) == seconds


def test_it_writes_and_reads_a_search_cursor():
    cursor = search_cursor(1767686730.0, ["t3_1b7m0ff", "t3_1b7m0aa"])

    assert cursor == "1767686730 t3_1b7m0ff t3_1b7m0aa"
    assert read_search_cursor(cursor) == (1767686730.0, {"t3_1b7m0ff", "t3_1b7m0aa"})


def test_it_keeps_a_search_cursor_within_the_column():
    names = [f"t3_1b7m{n:03d}" for n in range(40)]

    cursor = search_cursor(1767686730.0, names)

    assert len(cursor) <= CURSOR_MAX_LENGTH
    assert cursor.split()[1:] == names[:len(cursor.split()) - 1]


@pytest.mark.parametrize("cursor", [None, "", "t1_m0g7a42", "nan"])
def test_it_starts_afresh_from_a_search_cursor_it_cannot_read(cursor):
    assert read_search_cursor(cursor) == (None, set())
