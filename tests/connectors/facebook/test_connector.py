"""The Facebook connector through facebook-sdk against the emulator (and,
where the emulator cannot misbehave the right way, against a recorded page)."""

import json
import logging
import time
from pathlib import Path

import pytest
import requests

from config.settings import AccountSettings
from connectors.base import ConnectorError
from connectors.emulator import EmulatorServer
from connectors.facebook.connector import FacebookConnector
from tests.connectors import emulated
from tests.connectors.emulated import add_fault, api_calls, control, listed

FIXTURES = Path(__file__).resolve().parents[3] / "connectors" / "facebook" / "fixtures"
PAGE_ID = "1010"
TOKEN = "page-access-token-value"


def connector_for(server: EmulatorServer, **overrides) -> FacebookConnector:
    settings = {"page_id": PAGE_ID, "page_access_token": TOKEN, "base_url": server.url, "timeout": 5.0,
                **overrides}
    return FacebookConnector(**settings)


def add(server: EmulatorServer, text: str, kind: str = "post", name: str = "Maple Rider", **extra) -> str:
    body = {"kind": kind, "author": {"name": name}, "text": text, **extra}
    return control(server, "facebook/posts", body)["id"]


def add_by_page(server: EmulatorServer, text: str, **extra) -> str:
    body = {"kind": "post", "author": {"id": PAGE_ID}, "text": text, **extra}
    return control(server, "facebook/posts", body)["id"]


def minutes_ago(minutes: float) -> int:
    return int(time.time() - minutes * 60)


def replaying(status: int, body: dict | bytes, headers: dict | None = None) -> FacebookConnector:
    return emulated.replaying(FacebookConnector(PAGE_ID, TOKEN), status, body, headers)


def test_it_fetches_every_visitor_post_once_oldest_first_across_pages(emulator):
    created = [add(emulator, f"order {n} has not arrived") for n in range(25)]

    batch = connector_for(emulator, page_size=10).fetch("page_posts", PAGE_ID, None)

    assert [p.external_id for p in batch.posts] == created
    assert all(p.kind == "post" and p.author.name == "Maple Rider" for p in batch.posts)
    assert batch.cursor == str(int(batch.posts[-1].created_at.timestamp()))
    pages = api_calls(emulator, "facebook", "/1010/feed")
    assert len(pages) == 3
    assert "after" not in pages[0]["params"]
    assert all("after" in page["params"] for page in pages[1:])


def test_it_keeps_the_pages_own_posts_marked_as_by_brand(emulator):
    visitor = add(emulator, "does the kettle come in red?")
    own = add_by_page(emulator, "The red kettle is back in stock!")

    batch = connector_for(emulator).fetch("page_posts", PAGE_ID, None)

    by_id = {p.external_id: p for p in batch.posts}
    assert by_id[visitor].by_brand is False
    assert by_id[own].by_brand is True
    assert by_id[own].author.platform_user_id == PAGE_ID


def test_it_fetches_only_posts_from_the_cursor_on_less_a_small_overlap(emulator):
    add(emulator, "first wave, older", created_time=minutes_ago(30))
    newest_seen = add(emulator, "first wave, newest", created_time=minutes_ago(20))
    connector = connector_for(emulator)
    first = connector.fetch("page_posts", PAGE_ID, None)
    newer = [add(emulator, f"second wave {n}") for n in range(2)]

    second = connector.fetch("page_posts", PAGE_ID, first.cursor)

    assert [p.external_id for p in second.posts] == [newest_seen, *newer]
    assert int(second.cursor) > int(first.cursor)
    assert api_calls(emulator, "facebook", "/1010/feed")[-1]["params"]["since"] == str(int(first.cursor) - 60)


def test_it_reads_again_a_post_within_the_overlap_before_the_cursor(emulator):
    late = add(emulator, "posted half a minute before the newest", created_time=minutes_ago(0.5))
    newest = add(emulator, "the newest post")
    connector = connector_for(emulator)
    first = connector.fetch("page_posts", PAGE_ID, None)

    second = connector.fetch("page_posts", PAGE_ID, first.cursor)

    assert [p.external_id for p in second.posts] == [late, newest]
    assert second.cursor == first.cursor


def test_it_keeps_the_cursor_when_nothing_is_new(emulator):
    connector = connector_for(emulator)

    batch = connector.fetch("reviews", PAGE_ID, "1767000000")

    assert batch.posts == []
    assert batch.cursor == "1767000000"


def test_it_reads_comments_and_replies_on_the_pages_posts(emulator):
    announcement = add_by_page(emulator, "Our spring sale starts today!")
    complaint = add(emulator, "the sale price did not apply at checkout", kind="comment",
                    name="Tinker June", in_reply_to=announcement)
    answer = add(emulator, "Sorry! Which item was it?", kind="comment", in_reply_to=complaint,
                 author={"id": PAGE_ID})
    follow_up = add(emulator, "the blue blender", kind="comment", name="Tinker June", in_reply_to=complaint)

    batch = connector_for(emulator).fetch("comments", PAGE_ID, None)

    by_id = {p.external_id: p for p in batch.posts}
    assert list(by_id) == [complaint, answer, follow_up]
    assert by_id[complaint].kind == "comment"
    assert by_id[complaint].in_reply_to == announcement
    assert by_id[follow_up].kind == "reply"
    assert by_id[follow_up].in_reply_to == complaint
    assert {p.conversation_id for p in batch.posts} == {announcement}
    assert by_id[answer].by_brand is True
    assert by_id[follow_up].author.name == "Tinker June"
    call = api_calls(emulator, "facebook", f"/{announcement}/comments")[0]["params"]
    assert call["filter"] == "stream" and call["order"] == "reverse_chronological"


def test_it_pages_through_the_comments_of_a_busy_post(emulator):
    post = add_by_page(emulator, "Tell us about your kettle")
    created = [add(emulator, f"comment {n}", kind="comment", in_reply_to=post) for n in range(23)]

    batch = connector_for(emulator, page_size=10).fetch("comments", PAGE_ID, None)

    assert [p.external_id for p in batch.posts] == created
    assert len(api_calls(emulator, "facebook", f"/{post}/comments")) == 3


def test_it_reads_new_comments_only_on_posts_commented_on_since_the_cursor(emulator):
    quiet = add_by_page(emulator, "An old post", created_time=minutes_ago(60))
    busy = add_by_page(emulator, "Another old post", created_time=minutes_ago(60))
    add(emulator, "old comment", kind="comment", in_reply_to=quiet, created_time=minutes_ago(40))
    newest_seen = add(emulator, "newer old comment", kind="comment", in_reply_to=busy, created_time=minutes_ago(30))
    connector = connector_for(emulator)
    first = connector.fetch("comments", PAGE_ID, None)
    fresh = add(emulator, "a new comment", kind="comment", in_reply_to=busy)

    second = connector.fetch("comments", PAGE_ID, first.cursor)

    assert [p.external_id for p in second.posts] == [newest_seen, fresh]
    assert len(api_calls(emulator, "facebook", f"/{quiet}/comments")) == 1
    assert len(api_calls(emulator, "facebook", f"/{busy}/comments")) == 2


def test_it_reads_recommendations_as_reviews(emulator):
    happy = add(emulator, "Fast delivery, lovely kettle", kind="review", rating=5)
    unhappy = add(emulator, "Support never called back", kind="review", name="Oskar", rating=1)

    batch = connector_for(emulator).fetch("reviews", PAGE_ID, None)

    assert [(p.external_id, p.kind, p.rating) for p in batch.posts] == [(happy, "review", 5),
                                                                        (unhappy, "review", 1)]
    assert batch.posts[1].raw["recommendation_type"] == "negative"
    assert batch.posts[1].author.name == "Oskar"


def test_it_fetches_only_reviews_from_the_cursor_on(emulator):
    add(emulator, "Old praise", kind="review", rating=5, created_time=minutes_ago(30))
    newest_seen = add(emulator, "Less old praise", kind="review", rating=4, created_time=minutes_ago(20))
    connector = connector_for(emulator)
    first = connector.fetch("reviews", PAGE_ID, None)
    newer = add(emulator, "New complaint", kind="review", rating=2)

    second = connector.fetch("reviews", PAGE_ID, first.cursor)

    assert [p.external_id for p in second.posts] == [newest_seen, newer]


def test_it_skips_a_malformed_post_and_returns_the_rest_of_the_batch():
    page = json.loads((FIXTURES / "feed_with_malformed_posts.json").read_text(encoding="utf-8"))

    batch = replaying(200, page).fetch("page_posts", PAGE_ID, None)

    assert [p.external_id for p in batch.posts] == ["108800000000001_122110000000000405",
                                                    "108800000000001_122110000000000409"]
    assert len(batch.skipped) == 3


def test_it_posts_a_reply_under_the_customers_post(emulator):
    question = add(emulator, "my blender arrived broken")

    reply = connector_for(emulator).post_reply(question, "So sorry! Please message us your order number.")

    posted = [p for p in listed(emulator, "facebook") if p["id"] == reply.external_id]
    assert posted and posted[0]["in_reply_to"] == question
    assert posted[0]["by_brand"] is True
    assert posted[0]["text"] == "So sorry! Please message us your order number."
    assert reply.url == f"https://www.facebook.com/{reply.external_id}"


def test_it_answers_a_recommendation_on_its_story(emulator):
    review = add(emulator, "Support never called back", kind="review", rating=1)

    reply = connector_for(emulator).post_reply(review, "We are sorry, Maple. A manager will call you today.")

    posted = [p for p in listed(emulator, "facebook") if p["id"] == reply.external_id]
    assert posted[0]["in_reply_to"] == review


def test_it_finds_no_reply_with_another_text_or_by_someone_else(emulator):
    question = add(emulator, "where is my refund?")
    add(emulator, "Refunds take 7 days.", kind="comment", name="Helpful Stranger", in_reply_to=question)
    connector = connector_for(emulator)
    connector.post_reply(question, "Refunds take 5 days.")

    assert connector.find_reply(question, "Refunds take 7 days.") is None


def test_it_finds_a_reply_to_a_reply_that_facebook_filed_under_the_thread(emulator):
    post = add(emulator, "the lid cracked")
    thread = add(emulator, "mine too", kind="comment", in_reply_to=post)
    reply = add(emulator, "which model?", kind="comment", in_reply_to=thread, name="Oskar")
    ours = add(emulator, "We will send new lids to you both.", kind="comment", in_reply_to=thread,
               author={"id": PAGE_ID})
    connector = connector_for(emulator)

    found = connector.find_reply(reply, "We will send new lids to you both.")

    assert found is not None and found.external_id == ours
    assert connector.find_reply(reply, "Something else.") is None


def test_it_looks_only_under_a_post_for_a_reply_to_a_post(emulator):
    post = add(emulator, "hello?")

    assert connector_for(emulator).find_reply(post, "Hi!") is None
    assert api_calls(emulator, "facebook", f"/{post}") == []


def test_it_refuses_to_reply_to_a_deleted_post(emulator):
    question = add(emulator, "never mind")
    requests.delete(f"{emulator.url}/_emulator/facebook/posts/{question}", timeout=5)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).post_reply(question, "Glad it is sorted!")

    assert caught.value.permanent is True
    assert "the post was deleted or is not visible" in caught.value.message
    assert "does not exist" in caught.value.message


def test_it_reads_a_story_graph_cannot_find_as_a_deleted_post():
    body = {"error": {"message": "(#100) Error finding the requested story", "type": "OAuthException",
                      "code": 100}}

    with pytest.raises(ConnectorError) as caught:
        replaying(400, body).post_reply("108800000000001_122110000000000305", "Thanks!")

    assert caught.value.permanent is True
    assert "the post was deleted or is not visible" in caught.value.message


def test_it_reports_another_invalid_parameter_as_permanent_without_blaming_the_post():
    body = {"error": {"message": "(#100) Tried accessing nonexisting field (parent) on node type (Comment)",
                      "type": "OAuthException", "code": 100}}

    with pytest.raises(ConnectorError) as caught:
        replaying(400, body).fetch("reviews", PAGE_ID, None)

    assert caught.value.permanent is True
    assert "nonexisting field (parent)" in caught.value.message
    assert "does not exist or is not visible" not in caught.value.message


def test_it_refuses_a_reply_longer_than_facebook_allows_without_calling_facebook(emulator):
    question = add(emulator, "tell me everything")

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).post_reply(question, "x" * 8001)

    assert caught.value.permanent is True
    assert api_calls(emulator, "facebook", "/comments", method="POST") == []


def test_it_waits_until_the_rate_limit_resets(emulator):
    add_fault(emulator, "facebook", status=429, retry_after=110)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).fetch("page_posts", PAGE_ID, None)

    assert caught.value.status == 429
    assert caught.value.permanent is False
    assert caught.value.retry_after == 120


def test_it_waits_a_minute_when_a_rate_limit_has_no_reset_time():
    body = {"error": {"message": "(#17) User request limit reached", "type": "OAuthException", "code": 17,
                      "is_transient": True}}

    with pytest.raises(ConnectorError) as caught:
        replaying(400, body, {"X-App-Usage": '{"call_count":100,"total_cputime":20,"total_time":30}'}).fetch(
            "page_posts", PAGE_ID, None)

    assert caught.value.retry_after == 60
    assert "User request limit reached" in caught.value.message


@pytest.mark.parametrize("status", [500, 503])
def test_it_reports_an_error_page_as_transient(emulator, status):
    add_fault(emulator, "facebook", status=status)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).fetch("reviews", PAGE_ID, None)

    assert caught.value.permanent is False
    assert caught.value.status == status
    assert "text/html" in caught.value.message


@pytest.mark.parametrize("status, body, headers", [
    (200, b'{"data": []}', {}),
    (200, b"<html>hello</html>", {"content-type": "text/html"}),
    (200, b"{not json", {"content-type": "application/json"}),
    (502, b"", {}),
])
def test_it_reports_an_answer_that_is_not_graph_json_clearly(status, body, headers):
    with pytest.raises(ConnectorError) as caught:
        replaying(status, body, headers).fetch("page_posts", PAGE_ID, None)

    assert "instead of Graph JSON" in caught.value.message
    assert caught.value.status == status


def test_it_reports_a_graph_failure_marked_transient_as_transient():
    body = {"error": {"message": "An unexpected error has occurred. Please retry your request later.",
                      "type": "OAuthException", "code": 2, "is_transient": True}}

    with pytest.raises(ConnectorError) as caught:
        replaying(500, body).fetch("comments", PAGE_ID, None)

    assert caught.value.permanent is False
    assert caught.value.retry_after is None


def test_it_reports_an_expired_token_as_permanent_with_the_fix(emulator):
    add_fault(emulator, "facebook", status=401)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).fetch("page_posts", PAGE_ID, None)

    assert caught.value.permanent is True
    assert "code 190" in caught.value.message
    assert "Session has expired" in caught.value.message
    assert "generate a new page access token" in caught.value.message


def test_it_reports_a_missing_permission_as_permanent_with_the_fix(emulator):
    question = add(emulator, "hello?")
    add_fault(emulator, "facebook", status=403)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).post_reply(question, "Hi there!")

    assert caught.value.permanent is True
    assert caught.value.status == 403
    assert "code 10" in caught.value.message
    assert "pages_manage_engagement" in caught.value.message


def test_it_reports_a_page_that_does_not_exist_as_permanent(emulator):
    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).fetch("page_posts", "2020", None)

    assert caught.value.permanent is True
    assert "check the source's target" in caught.value.message


def test_it_refuses_an_unknown_source_kind(emulator):
    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).fetch("mentions", PAGE_ID, None)

    assert caught.value.permanent is True
    assert "page_posts, comments, reviews" in caught.value.message


def test_it_calls_the_graph_version_it_is_given(emulator):
    add(emulator, "hello")

    connector_for(emulator, graph_version="21.0").fetch("page_posts", PAGE_ID, None)

    assert api_calls(emulator, "facebook", "/feed")[0]["path"] == "/v21.0/1010/feed"


@pytest.mark.parametrize("settings, reason", [
    ({"page_id": None}, "page_id"),
    ({"page_access_token": ""}, "page_access_token"),
    ({"graph_version": "latest"}, "graph_version"),
])
def test_it_refuses_an_account_it_cannot_use(settings, reason):
    with pytest.raises(ConnectorError, match=reason) as caught:
        FacebookConnector(**{"page_id": PAGE_ID, "page_access_token": TOKEN, **settings})

    assert caught.value.permanent is True


def test_it_is_built_from_account_settings(emulator, monkeypatch, http_timeouts):
    monkeypatch.setenv("TEST_FB_PAGE_TOKEN", "from-the-environment")
    add(emulator, "hi from settings")
    account = AccountSettings(platform="facebook", base_url=emulator.url, page_id=PAGE_ID,
                              page_access_token="env:TEST_FB_PAGE_TOKEN", app_secret="app-secret",
                              verify_token="verify-me", graph_version="v20.0")

    connector = FacebookConnector.from_account(account, timeout=3.0)
    http_timeouts.clear()
    batch = connector.fetch("page_posts", PAGE_ID, None)

    assert len(batch.posts) == 1
    assert http_timeouts == [3.0]
    assert api_calls(emulator, "facebook", "/feed")[0]["path"] == "/v20.0/1010/feed"
    assert (connector.app_secret, connector.verify_token) == ("app-secret", "verify-me")


def test_it_keeps_the_token_out_of_urls_and_logs(emulator, caplog):
    caplog.set_level(logging.DEBUG)
    question = add(emulator, "log me")
    connector = connector_for(emulator, app_secret="app-secret-value")

    connector.fetch("comments", PAGE_ID, None)
    connector.post_reply(question, "logged?")

    assert "/v27.0/" in caplog.text
    assert TOKEN not in caplog.text
    assert "app-secret-value" not in caplog.text


def test_it_drops_old_posts_graph_returns_for_their_recent_activity():
    page = json.loads((FIXTURES / "feed_page.json").read_text(encoding="utf-8"))
    del page["paging"]["next"]
    newest = str(1767773520)  # 2026-01-07T08:12:00Z, the newest post of the page

    batch = replaying(200, page).fetch("page_posts", PAGE_ID, newest)

    assert [p.external_id for p in batch.posts] == ["108800000000001_122110000000000305"]
    assert batch.cursor == newest
