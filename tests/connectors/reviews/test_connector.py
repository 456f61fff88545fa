"""The review feed connector through requests and feedparser against the
emulator (and, where the emulator cannot misbehave the right way, against
a recorded feed)."""

import logging
import time
from pathlib import Path

import pytest
import requests

from config.settings import AccountSettings
from connectors.base import ConnectorError
from connectors.emulator import EmulatorServer
from connectors.reviews.connector import ReviewFeedConnector, site_review_id
from tests.connectors import emulated
from tests.connectors.emulated import add_fault, api_calls, control, listed

FIXTURES = Path(__file__).resolve().parents[3] / "connectors" / "reviews" / "fixtures"
FEEDS = ["/reviews/feed.xml", "/reviews/feed.atom", "/reviews/feed.json"]
REPLY_URL = "/reviews/{review_id}/replies"
NO_REPLY_API = "has no reply API: answer on the site and record how you answered"


def connector_for(server: EmulatorServer, **overrides) -> ReviewFeedConnector:
    return ReviewFeedConnector(**{"base_url": server.url, "timeout": 5.0, **overrides})


def replier_for(server: EmulatorServer, **overrides) -> ReviewFeedConnector:
    return connector_for(server, reply_url=REPLY_URL, api_key="reply-api-key-value", **overrides)


def add_review(server: EmulatorServer, text: str, rating: int = 3, name: str = "Wren Halloway", **extra) -> str:
    body = {"author": {"name": name}, "rating": rating, "text": text, **extra}
    return control(server, "reviews/posts", body)["id"]


def replaying(status: int, body: bytes, headers: dict | None = None) -> ReviewFeedConnector:
    return emulated.replaying(ReviewFeedConnector(base_url="http://recorded.invalid"), status, body, headers)


def record_statuses(connector: ReviewFeedConnector) -> list[requests.Response]:
    seen: list[requests.Response] = []
    connector.session.hooks["response"].append(lambda response, *args, **kwargs: seen.append(response))
    return seen


@pytest.mark.parametrize("feed", FEEDS)
def test_it_reads_every_feed_format_oldest_first(emulator, feed):
    older = add_review(emulator, "The lid sticks.", rating=2, title="Sticky lid", created_at="2026-01-05T09:00:00Z")
    newer = add_review(emulator, "Boils fast.", rating=5, name="Pip Marlowe", created_at="2026-01-06T10:30:00Z")

    batch = connector_for(emulator).fetch("feed", feed, None)

    assert [site_review_id(p.external_id) for p in batch.posts] == [older, newer]
    first = batch.posts[0]
    assert first.kind == "review" and first.platform == "reviews"
    assert first.rating == 2
    assert first.text == "Sticky lid\n\nThe lid sticks."
    assert first.author.name == "Wren Halloway"
    assert first.author.platform_user_id == "reviewer-1"
    assert first.url == f"{emulator.url}/reviews/{older}"
    assert batch.posts[1].created_at.isoformat() == "2026-01-06T10:30:00+00:00"
    assert batch.cursor == "2026-01-06T10:30:00+00:00"
    assert batch.skipped == []


def test_it_delivers_a_glowing_one_star_review_with_its_one_star(emulator):
    add_review(emulator, "Wonderful, delightful, the best kettle I have ever loved!", rating=1)

    batch = connector_for(emulator).fetch("feed", "/reviews/feed.xml", None)

    assert batch.posts[0].rating == 1
    assert "best kettle" in batch.posts[0].text


@pytest.mark.parametrize("feed", ["/reviews/feed.xml", "/reviews/feed.json"])
def test_it_fetches_only_reviews_published_at_or_after_the_cursor(emulator, feed):
    """The newest review of the first batch comes again (its time equals
    the cursor); it is dropped downstream by its id."""
    days = [add_review(emulator, f"review of day {day}", created_at=f"2026-01-0{day}T08:00:00Z") for day in (3, 4, 5)]
    connector = connector_for(emulator)
    first = connector.fetch("feed", feed, None)
    newer = [add_review(emulator, f"new review {n}") for n in range(2)]

    second = connector.fetch("feed", feed, first.cursor)

    assert [site_review_id(p.external_id) for p in first.posts] == days
    assert first.cursor == "2026-01-05T08:00:00+00:00"
    assert [site_review_id(p.external_id) for p in second.posts] == [days[-1], *newer]
    assert second.cursor > first.cursor


def test_it_keeps_reviews_published_in_the_same_second_as_the_cursor(emulator):
    moment = "2026-01-05T08:00:00Z"
    earlier = add_review(emulator, "first of the second", created_at=moment)
    connector = connector_for(emulator)
    first = connector.fetch("feed", "/reviews/feed.xml", None)
    later = add_review(emulator, "second of the second", created_at=moment)

    second = connector.fetch("feed", "/reviews/feed.xml", first.cursor)

    assert [site_review_id(p.external_id) for p in second.posts] == [earlier, later]
    assert second.cursor == first.cursor


def test_it_asks_with_the_feeds_validators_and_reads_304_as_an_empty_batch(emulator):
    add_review(emulator, "nothing changes after this")
    connector = connector_for(emulator)
    responses = record_statuses(connector)
    first = connector.fetch("feed", "/reviews/feed.atom", None)

    second = connector.fetch("feed", "/reviews/feed.atom", first.cursor)

    assert second.posts == [] and second.cursor == first.cursor
    assert [r.status_code for r in responses] == [200, 304]
    assert responses[1].request.headers["If-None-Match"] == responses[0].headers["ETag"]
    assert responses[1].request.headers["If-Modified-Since"] == responses[0].headers["Last-Modified"]


def test_it_reads_the_whole_feed_again_when_the_last_batch_was_not_kept(emulator):
    review = add_review(emulator, "do not lose me")
    connector = connector_for(emulator)
    responses = record_statuses(connector)
    connector.fetch("feed", "/reviews/feed.xml", None)
    connector.fetch("feed", "/reviews/feed.xml", "2026-01-01T00:00:00+00:00")

    again = connector.fetch("feed", "/reviews/feed.xml", None)

    assert [site_review_id(p.external_id) for p in again.posts] == [review]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert "If-None-Match" not in responses[1].request.headers


def test_it_reads_a_feed_at_an_absolute_url_without_a_base_url(emulator):
    review = add_review(emulator, "absolute")

    batch = ReviewFeedConnector(timeout=5.0).fetch("feed", f"{emulator.url}/reviews/feed.json", None)

    assert [site_review_id(p.external_id) for p in batch.posts] == [review]


def test_it_skips_a_malformed_review_and_returns_the_rest_of_the_batch():
    body = (FIXTURES / "app_store.rss").read_bytes()

    batch = replaying(200, body, {"Content-Type": "application/rss+xml"}).fetch("feed", "/feed.rss", None)

    assert [site_review_id(p.external_id) for p in batch.posts] == ["88115", "88119", "88120"]
    assert len(batch.skipped) == 3
    assert batch.cursor == "2026-01-07T17:30:00+00:00"


def test_it_reports_a_page_that_is_not_a_feed_as_transient_and_says_what_came():
    body = (FIXTURES / "not_a_feed.html").read_bytes()

    with pytest.raises(ConnectorError) as caught:
        replaying(200, body, {"Content-Type": "text/html"}).fetch("feed", "/feed.rss", None)

    assert caught.value.permanent is False
    assert "http://recorded.invalid/feed.rss" in caught.value.message
    assert "neither an RSS/Atom feed nor JSON (text/html" in caught.value.message


def test_it_waits_as_long_as_retry_after_says(emulator):
    add_fault(emulator, "reviews", status=429, retry_after=120)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).fetch("feed", "/reviews/feed.xml", None)

    assert caught.value.status == 429
    assert caught.value.permanent is False
    assert caught.value.retry_after == 120


def test_it_reads_retry_after_given_as_an_http_date():
    before = time.time()
    reset = int(before) + 300
    headers = {"Retry-After": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(reset))}

    with pytest.raises(ConnectorError) as caught:
        replaying(429, b"slow down", headers).fetch("feed", "/feed.rss", None)

    assert reset - time.time() <= caught.value.retry_after <= reset - before


def test_it_waits_a_minute_when_a_rate_limit_has_no_retry_after():
    with pytest.raises(ConnectorError) as caught:
        replaying(429, b"slow down").fetch("feed", "/feed.rss", None)

    assert caught.value.retry_after == 60


def test_it_waits_as_long_as_a_busy_site_asks():
    with pytest.raises(ConnectorError) as caught:
        replaying(503, b"maintenance", {"Retry-After": "600"}).fetch("feed", "/feed.rss", None)

    assert caught.value.permanent is False
    assert caught.value.retry_after == 600


@pytest.mark.parametrize("status", [401, 403])
def test_it_reports_a_refused_feed_as_permanent_with_the_url(emulator, status):
    add_fault(emulator, "reviews", status=status)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).fetch("feed", "/reviews/feed.xml", None)

    assert caught.value.permanent is True
    assert caught.value.status == status
    assert f"{emulator.url}/reviews/feed.xml answered {status}" in caught.value.message


def test_it_reports_a_missing_feed_as_permanent_with_the_url(emulator):
    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).fetch("feed", "/reviews/feed.rdf", None)

    assert caught.value.permanent is True
    assert caught.value.status == 404
    assert f"{emulator.url}/reviews/feed.rdf answered 404" in caught.value.message
    assert "check the source's target" in caught.value.message


def test_it_reports_a_feed_that_is_gone_as_permanent():
    with pytest.raises(ConnectorError) as caught:
        replaying(410, b"gone").fetch("feed", "/feed.rss", None)

    assert caught.value.permanent is True
    assert caught.value.status == 410


@pytest.mark.parametrize("kind, target, message", [
    ("mentions", "/reviews/feed.xml", "no source kind 'mentions'"),
    ("feed", "  ", "needs the feed's URL"),
])
def test_it_refuses_a_source_it_cannot_read(emulator, kind, target, message):
    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).fetch(kind, target, None)

    assert caught.value.permanent is True
    assert message in caught.value.message
    assert api_calls(emulator, "reviews") == []


def test_it_needs_a_base_url_for_a_relative_target():
    with pytest.raises(ConnectorError) as caught:
        ReviewFeedConnector().fetch("feed", "/reviews/feed.xml", None)

    assert caught.value.permanent is True
    assert "base_url" in caught.value.message


def test_it_has_no_reply_api_unless_the_account_names_one(emulator):
    review = add_review(emulator, "please answer")
    connector = connector_for(emulator)

    with pytest.raises(ConnectorError) as caught:
        connector.post_reply(review, "Thank you!")

    assert connector.can_reply is False
    assert caught.value.permanent is True
    assert caught.value.message == f"The review site {emulator.url.removeprefix('http://')} {NO_REPLY_API}"
    assert connector.find_reply(review, "Thank you!") is None
    assert api_calls(emulator, "reviews") == []


def test_it_posts_a_reply_under_the_review(emulator):
    review = add_review(emulator, "the kettle leaks", rating=1)
    other = add_review(emulator, "fine kettle", rating=4)
    connector = replier_for(emulator)

    reply = connector.post_reply(review, "Sorry! We are sending a new one.")

    assert connector.can_reply is True
    posted = [p for p in listed(emulator, "reviews") if p["id"] == reply.external_id]
    assert posted and posted[0]["in_reply_to"] == review != other
    assert posted[0]["by_brand"] is True
    assert posted[0]["text"] == "Sorry! We are sending a new one."
    assert reply.url == f"{emulator.url}/reviews/{review}#reply-{reply.external_id}"


def test_it_replies_to_a_review_read_from_the_atom_feed(emulator):
    add_review(emulator, "bare ids survive Atom")
    connector = replier_for(emulator)
    review = connector.fetch("feed", "/reviews/feed.atom", None).posts[0]

    reply = connector.post_reply(review.external_id, "Thanks!")

    assert [p["in_reply_to"] for p in listed(emulator, "reviews") if p["id"] == reply.external_id] == [
        site_review_id(review.external_id)]


def test_it_refuses_to_reply_to_a_deleted_review(emulator):
    review = add_review(emulator, "never mind")
    requests.delete(f"{emulator.url}/_emulator/reviews/posts/{review}", timeout=5)

    with pytest.raises(ConnectorError) as caught:
        replier_for(emulator).post_reply(review, "Glad it is sorted!")

    assert caught.value.permanent is True
    assert caught.value.status == 404
    assert f"review {review} does not exist or was deleted" in caught.value.message
    assert [p for p in listed(emulator, "reviews") if p["kind"] == "reply"] == []


def test_it_reports_a_reply_api_that_refuses_the_key_as_permanent(emulator):
    review = add_review(emulator, "hello?")

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator, reply_url=REPLY_URL).post_reply(review, "Hi!")

    assert caught.value.permanent is True
    assert caught.value.status == 401
    assert "api_key" in caught.value.message


def test_it_waits_when_the_reply_api_is_rate_limited(emulator):
    review = add_review(emulator, "hello?")
    add_fault(emulator, "reviews", status=429, retry_after=30)

    with pytest.raises(ConnectorError) as caught:
        replier_for(emulator).post_reply(review, "Hi!")

    assert caught.value.retry_after == 30
    assert caught.value.permanent is False


def test_it_refuses_a_reply_longer_than_allowed_without_calling_the_site(emulator):
    review = add_review(emulator, "tell me everything")

    with pytest.raises(ConnectorError) as caught:
        replier_for(emulator).post_reply(review, "x" * 4001)

    assert caught.value.permanent is True
    assert api_calls(emulator, "reviews", method="POST") == []


def test_it_is_built_from_account_settings(emulator, monkeypatch):
    monkeypatch.setenv("TEST_REVIEWS_API_KEY", "from-the-environment")
    review = add_review(emulator, "hi from settings")
    account = AccountSettings(platform="reviews", base_url=emulator.url, reply_url=REPLY_URL,
                              api_key="env:TEST_REVIEWS_API_KEY")

    connector = ReviewFeedConnector.from_account(account, timeout=3.0)
    connector.post_reply(review, "Hello from the account")

    assert connector.can_reply is True
    assert connector.timeout == 3.0
    assert connector.api_key == "from-the-environment"


def test_it_cannot_reply_when_the_account_sets_no_reply_url(emulator):
    connector = ReviewFeedConnector.from_account(AccountSettings(platform="reviews", base_url=emulator.url),
                                                 timeout=3.0)

    assert connector.can_reply is False


def test_it_refuses_a_reply_url_without_the_review_id():
    with pytest.raises(ConnectorError) as caught:
        ReviewFeedConnector(reply_url="/reviews/replies")

    assert caught.value.permanent is True
    assert "{review_id}" in caught.value.message


def test_it_keeps_the_api_key_out_of_the_logs(emulator, caplog):
    caplog.set_level(logging.DEBUG)
    review = add_review(emulator, "log me")
    connector = replier_for(emulator)

    connector.fetch("feed", "/reviews/feed.xml", None)
    connector.post_reply(review, "logged?")
    connector.find_reply(review, "logged?")

    assert "GET" in caplog.text
    assert "reply-api-key-value" not in caplog.text



def test_two_feeds_numbering_their_reviews_alike_do_not_collide(emulator):
    add_review(emulator, "Lovely shop, quick delivery")
    connector = ReviewFeedConnector(base_url=emulator.url)
    from_rss = connector.fetch("feed", "/reviews/feed.xml", None).posts
    from_json = connector.fetch("feed", "/reviews/feed.json", None).posts
    assert [site_review_id(p.external_id) for p in from_rss] == [site_review_id(p.external_id) for p in from_json]
    assert not {p.external_id for p in from_rss} & {p.external_id for p in from_json}
    assert site_review_id("tag:example.com,2026:review-1") == "tag:example.com,2026:review-1"
