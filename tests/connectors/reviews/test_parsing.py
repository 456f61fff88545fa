import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from connectors.base import MalformedPayload
from connectors.reviews.connector import retry_after_seconds
from connectors.reviews.parse import batch_since, parse_document, parse_json_review, parse_rating

FIXTURES = Path(__file__).resolve().parents[3] / "connectors" / "reviews" / "fixtures"
FEED_URL = "https://reviews.example.org/acme/feed"
EMPTY_RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title>
<link>https://apps.example.com/</link><description>No reviews yet</description></channel></rss>"""


def parsed(name: str, content_type: str = ""):
    return parse_document((FIXTURES / name).read_bytes(), FEED_URL, content_type)


def by_id(name: str, content_type: str = "") -> dict:
    return {post.external_id: post for post in parsed(name, content_type)[0]}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_it_reads_an_rss_review_with_its_rating_and_author_id():
    post = by_id("app_store.rss", "application/rss+xml")["88120"]

    assert post.platform == "reviews"
    assert post.kind == "review"
    assert post.rating == 2
    assert post.author.platform_user_id == "u-40017"
    assert post.author.name == "Wren Halloway"
    assert post.author.handle == "Wren Halloway"
    assert post.url == "https://apps.example.com/acme-kettle/reviews/88120"
    assert post.created_at == utc(2026, 1, 7, 17, 30)
    assert post.created_at.utcoffset() == timedelta(0)


def test_it_joins_title_and_body_and_drops_the_markup():
    post = by_id("app_store.rss")["88120"]

    assert post.text == ("Pairing fails every morning\n\n"
                         "The app loses the kettle every morning.\nFish & chips taste better than this.")


def test_it_keeps_a_glowing_one_star_review_at_one_star():
    post = by_id("app_store.rss")["88119"]

    assert post.rating == 1
    assert "best kettle ever" in post.text


def test_it_uses_the_author_name_when_the_feed_gives_no_author_id():
    author = by_id("app_store.rss")["88119"].author

    assert author.platform_user_id == "Pip Marlowe"
    assert author.name == "Pip Marlowe"


def test_it_rounds_a_half_star_up():
    assert by_id("app_store.rss")["88115"].rating == 5


def test_it_does_not_take_a_media_rss_content_rating_for_stars():
    body = b"""<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
    <title>t</title><link>https://apps.example.com/</link><description>d</description>
    <item><guid isPermaLink="false">m-1</guid><title>Fine</title><pubDate>Mon, 05 Jan 2026 07:00:00 GMT</pubDate>
    <media:rating scheme="urn:simple">nonadult</media:rating></item></channel></rss>"""

    posts, skipped = parse_document(body, FEED_URL, "application/rss+xml")

    assert skipped == []
    assert posts[0].rating is None
    assert posts[0].text == "Fine"


def test_it_skips_rss_entries_with_a_bad_rating_or_no_date_and_keeps_the_rest():
    posts, skipped = parsed("app_store.rss")

    assert [p.external_id for p in posts] == ["88120", "88119", "88115"]
    reasons = [s.reason for s in skipped]
    assert reasons == ["review 88118 has a rating that is not a number: 'five'",
                       "review 88117 has a rating outside 1 to 5: '7'",
                       "review 88116 has no readable date (published None, updated None)"]
    assert skipped[0].raw["title"] == "Great"


def test_it_keeps_raw_entries_that_can_be_stored_as_json():
    posts, skipped = parsed("app_store.rss")

    stored = json.loads(json.dumps([p.raw for p in posts] + [s.raw for s in skipped]))
    assert stored[0]["review_rating"] == "2"
    assert "published_parsed" not in stored[0]


def test_it_reads_an_atom_review_with_a_rating_attribute_and_the_authors_uri():
    post = by_id("site.atom", "application/atom+xml")["tag:reviews.example.org,2026:review-3301"]

    assert post.rating == 2
    assert post.author.platform_user_id == "https://reviews.example.org/people/juno-ashgrove"
    assert post.author.name == "Juno Ashgrove"
    assert post.created_at == utc(2026, 1, 8, 7, 30)
    assert post.url == "https://reviews.example.org/acme/reviews/3301"
    assert post.text == ("Kettle arrived dented\n\n"
                         "The box was fine but the kettle was dented.\nSupport has not answered.")


def test_it_reads_stars_in_any_namespace_and_falls_back_to_the_updated_time():
    post = by_id("site.atom")["tag:reviews.example.org,2026:review-3300"]

    assert post.rating == 5
    assert post.created_at == utc(2026, 1, 7, 21, 5)
    assert post.text == "Quiet and quick\n\nBoils in two minutes."


def test_it_skips_atom_entries_without_a_date_or_with_zero_stars():
    posts, skipped = parsed("site.atom")

    assert len(posts) == 2
    assert ["no readable date" in s.reason for s in skipped] == [True, False]
    assert "outside 1 to 5: '0'" in skipped[1].reason


def test_it_reads_a_json_feed_with_the_review_extension():
    post = by_id("json_feed.json", "application/feed+json")["js-7702"]

    assert post.rating == 1
    assert post.author.platform_user_id == "cust-5521"
    assert post.author.name == "Sable Ennis"
    assert post.created_at == utc(2026, 1, 9, 14, 20, 31, 250000)
    assert post.text == "Lid will not close\n\nThe lid springs open & spills water.\ntwice\ndaily"
    assert post.url == "https://store.example.com/acme/reviews/js-7702"


def test_it_reads_a_json_feed_item_with_a_plain_rating_field():
    post = by_id("json_feed.json")["js-7701"]

    assert post.rating == 4
    assert post.text == "Works well, a bit loud."
    assert post.author.platform_user_id == "Rook Vance"
    assert post.created_at == utc(2026, 1, 9, 7, 0)


def test_it_skips_json_feed_items_with_a_bad_rating_or_no_date():
    posts, skipped = parsed("json_feed.json")

    assert [p.external_id for p in posts] == ["js-7702", "js-7701"]
    assert [s.reason for s in skipped] == ["review js-7700 has a rating outside 1 to 5: '0'",
                                           "review js-7699 has no readable date: None"]


def test_it_reads_a_plain_list_of_reviews_under_reviews():
    posts, skipped = parsed("plain_reviews.json", "application/json")

    first, second = posts
    assert first.external_id == "40021"
    assert first.rating == 3
    assert first.author.platform_user_id == "hp-77"
    assert first.text == "Average\n\nIt boils water. That is all."
    assert first.url == "https://shop.example.net/r/40021"
    assert first.created_at == utc(2026, 1, 4, 16, 0)
    assert second.author.platform_user_id == second.author.name == "Greta Lunn"
    assert second.created_at == utc(2026, 1, 4, 18, 0)
    assert [s.reason for s in skipped] == ["review 40023 has a rating that is not a number: True",
                                           "a review must be an object, not str"]


def test_it_reads_a_top_level_list_and_takes_the_url_when_there_is_no_id():
    posts, skipped = parsed("review_list.json")

    assert skipped == []
    assert posts[0].text == "Handle gets hot."
    assert posts[1].external_id == "https://maps.example.com/acme/review/gl-2"
    assert posts[1].text == ""
    assert posts[1].rating == 4
    assert posts[1].created_at == utc(2026, 1, 3, 10, 30)


def test_it_refuses_a_review_with_no_text_and_no_rating():
    with pytest.raises(MalformedPayload, match="no text and no rating"):
        parse_json_review({"id": "x-1", "author": "Nobody", "date": "2026-01-01T00:00:00Z"})


def test_it_gives_an_anonymous_review_an_author_of_its_own():
    post = parse_json_review({"id": "x-2", "rating": 3, "date": "2026-01-01T00:00:00Z"})

    assert post.author.platform_user_id == "anonymous:x-2"
    assert post.author.handle == "anonymous"


def test_it_shortens_ids_longer_than_the_store_keeps():
    post = parse_json_review({"id": "r" * 150, "author": {"uri": "u" * 150, "name": "Long"}, "rating": 2,
                              "date": "2026-01-01T00:00:00Z"})

    assert len(post.external_id) <= 100 and post.external_id.startswith("sha1:")
    assert len(post.author.platform_user_id) <= 100


def test_it_refuses_a_body_that_is_neither_a_feed_nor_json():
    with pytest.raises(MalformedPayload) as caught:
        parsed("not_a_feed.html", "text/html; charset=utf-8")

    assert "neither an RSS/Atom feed nor JSON" in str(caught.value)
    assert "text/html" in str(caught.value)
    assert "Sign in" in str(caught.value)


@pytest.mark.parametrize("body, message", [
    (b'{"error": "feed disabled"}', "not a feed of reviews"),
    (b'{"reviews": [', "JSON that cannot be read"),
    (b"", "neither an RSS/Atom feed nor JSON"),
])
def test_it_refuses_json_of_another_shape_and_empty_bodies(body, message):
    with pytest.raises(MalformedPayload, match=message):
        parse_document(body, FEED_URL, "")


@pytest.mark.parametrize("content_type", ["application/rss+xml", "text/html", ""])
def test_it_reads_an_empty_feed_as_no_reviews(content_type):
    assert parse_document(EMPTY_RSS, FEED_URL, content_type) == ([], [])


def test_it_keeps_the_whole_reviews_of_a_feed_that_was_cut_off():
    body = (FIXTURES / "app_store.rss").read_bytes()

    posts, skipped = parse_document(body[:body.index(b"Absolutely wonderful")], FEED_URL, "application/rss+xml")

    assert [p.external_id for p in posts] == ["88120"]
    assert len(skipped) == 1


def test_it_refuses_a_feed_cut_off_before_its_first_review():
    body = (FIXTURES / "app_store.rss").read_bytes()

    with pytest.raises(MalformedPayload, match="neither an RSS/Atom feed nor JSON"):
        parse_document(body[:body.index(b"<item>") + 3], FEED_URL, "application/rss+xml")


def test_it_reads_a_feed_served_with_a_content_type_that_is_not_xml():
    posts, _ = parsed("app_store.rss", "text/html")

    assert len(posts) == 3


@pytest.mark.parametrize("value, stars", [
    ("4", 4), (4, 4), (" 3 ", 3), ("2.0", 2), (1, 1), (5, 5), ({"value": "3"}, 3), (None, None),
])
def test_it_reads_ratings_from_one_to_five(value, stars):
    assert parse_rating(value) == stars


@pytest.mark.parametrize("value", ["0", "6", 0.5, "five", "", True, "nan", "inf", [], {"value": "x"}])
def test_it_refuses_ratings_that_are_not_one_to_five(value):
    with pytest.raises(MalformedPayload):
        parse_rating(value, "r-1")


def post_at(external_id: str, moment: datetime):
    return replace(parse_json_review({"id": external_id, "rating": 3, "date": "2026-01-01T00:00:00Z"}),
                   created_at=moment)


def test_it_keeps_reviews_at_or_after_the_cursor_oldest_first():
    cursor = utc(2026, 1, 5, 12, 0)
    posts = [post_at("new", utc(2026, 1, 5, 13, 0)), post_at("same", cursor), post_at("old", utc(2026, 1, 5, 11))]

    batch = batch_since(posts, [], cursor.isoformat())

    assert [p.external_id for p in batch.posts] == ["same", "new"]
    assert batch.cursor == "2026-01-05T13:00:00+00:00"


def test_it_keeps_the_cursor_when_nothing_is_newer():
    cursor = "2026-01-05T12:00:00+00:00"

    batch = batch_since([post_at("same", utc(2026, 1, 5, 12, 0))], [], cursor)

    assert [p.external_id for p in batch.posts] == ["same"]
    assert batch.cursor == cursor


def test_it_returns_each_review_once_and_reads_the_whole_feed_without_a_cursor():
    posts = [post_at("b", utc(2026, 1, 2)), post_at("a", utc(2026, 1, 1)), post_at("b", utc(2026, 1, 2))]

    batch = batch_since(posts, [], None)

    assert [p.external_id for p in batch.posts] == ["a", "b"]
    assert batch.cursor == "2026-01-02T00:00:00+00:00"
    assert batch_since([], [], None).cursor is None


def test_it_reads_the_whole_feed_when_the_cursor_is_not_a_time():
    batch = batch_since([post_at("a", utc(2026, 1, 1))], [], "1900000000000000001")

    assert [p.external_id for p in batch.posts] == ["a"]
    assert batch.cursor == "2026-01-01T00:00:00+00:00"


def test_it_reads_retry_after_as_seconds_or_as_an_http_date():
    now = utc(2026, 1, 5, 12, 0)

    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds("Mon, 05 Jan 2026 12:01:30 GMT", now) == 90
    assert retry_after_seconds("Mon, 05 Jan 2026 11:00:00 GMT", now) == 1
    assert retry_after_seconds(None, now) == 60
    assert retry_after_seconds("soon", now) == 60
