"""The X connector through tweepy against the emulator (and, where the
emulator cannot misbehave the right way, against a recorded page)."""

import json
import logging
from pathlib import Path

import pytest
import requests

from config.settings import AccountSettings
from connectors.base import ConnectorError
from connectors.emulator import EmulatorServer
from connectors.x.connector import XConnector
from tests.connectors import emulated
from tests.connectors.emulated import add_fault, api_calls, control, listed

FIXTURES = Path(__file__).resolve().parents[3] / "connectors" / "x" / "fixtures"
BRAND_ID = "1600000000000000001"
OAUTH = {"consumer_key": "consumer-key", "consumer_secret": "consumer-secret-value",
         "access_token": f"{BRAND_ID}-access-token", "access_token_secret": "access-secret-value"}


def connector_for(server: EmulatorServer, **overrides) -> XConnector:
    settings = {**OAUTH, "base_url": server.url, "timeout": 5.0, **overrides}
    return XConnector(**settings)


def add_post(server: EmulatorServer, text: str, handle: str = "maple_rider",
             in_reply_to: str | None = None) -> str:
    body = {"author": {"handle": handle, "name": handle.title(), "followers": 10}, "text": text}
    if in_reply_to:
        body["in_reply_to"] = in_reply_to
    return control(server, "x/posts", body)["id"]


def replaying(status: int, body: dict, headers: dict | None = None) -> XConnector:
    return emulated.replaying(XConnector(**OAUTH, user_id=BRAND_ID), status, body, headers)


def test_it_fetches_every_mention_once_oldest_first_across_pages(emulator):
    created = [add_post(emulator, f"order {n} has not arrived") for n in range(250)]

    batch = connector_for(emulator, page_size=100).fetch("mentions", "", None)

    assert [p.external_id for p in batch.posts] == created
    assert batch.cursor == created[-1]
    assert batch.skipped == []
    pages = api_calls(emulator, "x", "/mentions")
    assert len(pages) == 3
    assert "pagination_token" not in pages[0]["params"]
    assert all("pagination_token" in page["params"] for page in pages[1:])


def test_it_searches_across_pages_with_next_token(emulator):
    matching = [add_post(emulator, f"the kettle number {n} leaks") for n in range(230)]
    add_post(emulator, "the toaster is fine")

    batch = connector_for(emulator, page_size=100).fetch("search", "kettle -toaster", None)

    assert [p.external_id for p in batch.posts] == matching
    pages = api_calls(emulator, "x", "/tweets/search/recent")
    assert len(pages) == 3
    assert all("next_token" in page["params"] for page in pages[1:])
    assert all(page["params"]["query"] == "kettle -toaster" for page in pages)


def test_it_fetches_only_posts_newer_than_the_cursor(emulator):
    for n in range(3):
        add_post(emulator, f"first wave {n}")
    connector = connector_for(emulator)
    first = connector.fetch("mentions", "", None)
    newer = [add_post(emulator, f"second wave {n}") for n in range(2)]

    second = connector.fetch("mentions", "", first.cursor)

    assert [p.external_id for p in second.posts] == newer
    assert second.cursor == newer[-1]
    assert api_calls(emulator, "x", "/mentions")[-1]["params"]["since_id"] == first.cursor


def test_it_keeps_the_cursor_when_nothing_is_new(emulator):
    add_post(emulator, "one post")
    connector = connector_for(emulator)
    first = connector.fetch("mentions", "", None)

    second = connector.fetch("mentions", "", first.cursor)

    assert second.posts == []
    assert second.cursor == first.cursor


def test_it_looks_up_the_brand_account_once(emulator):
    add_post(emulator, "hello")
    connector = connector_for(emulator)

    connector.fetch("mentions", "", None)
    connector.fetch("search", "hello", None)

    assert len(api_calls(emulator, "x", "/users/me")) == 1
    assert connector.brand_user_id() == BRAND_ID


def test_it_reads_authors_replies_and_the_brands_own_posts(emulator):
    question = add_post(emulator, "is the kettle recall real?", handle="tinkerjune")
    connector = connector_for(emulator)
    answer = connector.post_reply(question, "Yes, the kettle recall is real: see our site.")
    follow_up = add_post(emulator, "thanks, kettle returned", handle="tinkerjune", in_reply_to=answer.external_id)

    batch = connector.fetch("search", "kettle", None)

    by_id = {p.external_id: p for p in batch.posts}
    assert by_id[question].kind == "post" and by_id[question].by_brand is False
    assert by_id[answer.external_id].by_brand is True
    assert by_id[follow_up].kind == "reply"
    assert by_id[follow_up].in_reply_to == answer.external_id
    assert by_id[follow_up].conversation_id == question
    assert by_id[follow_up].author.handle == "tinkerjune"
    assert by_id[follow_up].author.followers == 10


def test_it_skips_a_malformed_tweet_and_returns_the_rest_of_the_batch():
    page = json.loads((FIXTURES / "page_with_malformed_tweets.json").read_text(encoding="utf-8"))

    batch = replaying(200, page).fetch("mentions", "", None)

    assert [p.external_id for p in batch.posts] == ["1900000000000000306", "1900000000000000309"]
    assert len(batch.skipped) == 2
    assert batch.cursor == "1900000000000000309"


def test_it_waits_until_the_rate_limit_resets_without_sleeping_through_it(emulator, sleeps):
    add_fault(emulator, "x", status=429, retry_after=120)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator, user_id=BRAND_ID).fetch("mentions", "", None)

    assert sleeps == []
    assert len(api_calls(emulator, "x", "/mentions")) == 1
    assert caught.value.status == 429
    assert caught.value.permanent is False
    assert 115 <= caught.value.retry_after <= 122


def test_it_waits_a_minute_when_a_rate_limit_has_no_reset_time():
    with pytest.raises(ConnectorError) as caught:
        replaying(429, {"title": "Too Many Requests", "detail": "Too Many Requests"}).fetch("mentions", "", None)

    assert caught.value.retry_after == 60
    assert caught.value.status == 429


def test_it_reports_rejected_credentials_as_permanent(emulator):
    add_fault(emulator, "x", status=401)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).fetch("mentions", "", None)

    assert caught.value.permanent is True
    assert caught.value.status == 401
    assert "check the tokens" in caught.value.message


def test_it_reports_a_forbidden_call_as_permanent_with_the_reason(emulator):
    add_fault(emulator, "x", status=403)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator, user_id=BRAND_ID).fetch("search", "kettle", None)

    assert caught.value.permanent is True
    assert caught.value.status == 403
    assert "attached to a Project" in caught.value.message


def test_it_posts_a_reply_under_the_customers_post(emulator):
    question = add_post(emulator, "my blender arrived broken")
    connector = connector_for(emulator, handle="acme")

    reply = connector.post_reply(question, "So sorry! Please DM us your order number.")

    posted = [p for p in listed(emulator, "x") if p["id"] == reply.external_id]
    assert posted and posted[0]["in_reply_to"] == question
    assert posted[0]["by_brand"] is True
    assert posted[0]["text"] == "So sorry! Please DM us your order number."
    assert reply.url == f"https://x.com/acme/status/{reply.external_id}"


def test_it_refuses_to_reply_to_a_deleted_post(emulator):
    question = add_post(emulator, "never mind")
    requests.delete(f"{emulator.url}/_emulator/x/posts/{question}", timeout=5)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).post_reply(question, "Glad it is sorted!")

    assert caught.value.permanent is True
    assert caught.value.status == 403
    assert "deleted or not visible" in caught.value.message


def test_it_cannot_reply_with_only_a_bearer_token(emulator):
    question = add_post(emulator, "hello?")
    connector = XConnector(bearer_token="app-only", user_id=BRAND_ID, base_url=emulator.url)

    with pytest.raises(ConnectorError) as caught:
        connector.post_reply(question, "Hi there!")

    assert caught.value.permanent is True
    assert "OAuth 1.0a" in caught.value.message
    assert [p["id"] for p in listed(emulator, "x")] == [question]


@pytest.mark.parametrize("text, counted", [("x" * 281, 281), ("\N{GRINNING FACE}" * 141, 282)])
def test_it_refuses_a_reply_longer_than_x_allows_without_calling_x(emulator, text, counted):
    question = add_post(emulator, "tell me everything")

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).post_reply(question, text)

    assert caught.value.permanent is True
    assert f"this one counts {counted}" in caught.value.message
    assert api_calls(emulator, "x", "/2/tweets") == []


def test_a_reply_is_as_long_as_x_counts_it(emulator):
    question = add_post(emulator, "where can I read more?")
    long_link = "Details: https://status.example.com/incidents/" + "a" * 300

    reply = connector_for(emulator).post_reply(question, long_link)

    assert [p["text"] for p in listed(emulator, "x") if p["id"] == reply.external_id] == [long_link]


def test_the_emulator_refuses_a_post_x_would_count_too_long(emulator):
    response = requests.post(f"{emulator.url}/2/tweets", json={"text": "\u65e5\u672c" * 71},
                             headers={"Authorization": "OAuth oauth_consumer_key=\"k\""}, timeout=5)

    assert response.status_code == 400
    assert "this one counts 284" in response.text


def test_it_refuses_an_unknown_source_kind(emulator):
    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator, user_id=BRAND_ID).fetch("page_feed", "", None)

    assert caught.value.permanent is True


def test_it_needs_credentials():
    with pytest.raises(ConnectorError) as caught:
        XConnector(base_url="http://127.0.0.1:9")

    assert caught.value.permanent is True
    assert "bearer_token" in caught.value.message


def test_it_names_the_missing_oauth_keys():
    with pytest.raises(ConnectorError) as caught:
        XConnector(bearer_token="b", consumer_key="ck", consumer_secret="cs")

    assert caught.value.permanent is True
    assert "access_token, access_token_secret" in caught.value.message


def test_it_is_built_from_account_settings(emulator, monkeypatch, http_timeouts):
    monkeypatch.setenv("TEST_X_BEARER", "from-the-environment")
    add_post(emulator, "hi from settings")
    account = AccountSettings(platform="x", base_url=emulator.url, bearer_token="env:TEST_X_BEARER",
                              user_id=BRAND_ID, handle="acme")

    connector = XConnector.from_account(account, timeout=3.0)
    http_timeouts.clear()
    batch = connector.fetch("mentions", "", None)

    assert len(batch.posts) == 1
    assert connector.user_auth is False
    assert http_timeouts == [3.0]


def test_it_keeps_credentials_out_of_the_logs(emulator, caplog):
    caplog.set_level(logging.DEBUG)
    question = add_post(emulator, "log me")
    reader = XConnector(bearer_token="bearer-token-value", user_id=BRAND_ID, base_url=emulator.url)

    reader.fetch("mentions", "", None)
    connector_for(emulator).post_reply(question, "logged?")

    assert "GET" in caplog.text or "HTTP" in caplog.text
    for secret in ("bearer-token-value", OAUTH["consumer_secret"], OAUTH["access_token_secret"]):
        assert secret not in caplog.text


def test_it_reads_the_language_x_detected(emulator):
    response = requests.post(f"{emulator.url}/_emulator/x/posts", timeout=5, json={
        "author": {"handle": "lucia"}, "text": "Mi pedido no ha llegado", "lang": "es"})
    assert response.status_code == 201
    add_post(emulator, "my order has not arrived")
    bad = requests.post(f"{emulator.url}/_emulator/x/posts", timeout=5, json={
        "author": {"handle": "lucia"}, "text": "x", "lang": "Spanish"})
    assert bad.status_code == 400

    batch = connector_for(emulator).fetch("mentions", "", None)

    assert [p.language for p in batch.posts] == ["es", "en"]
