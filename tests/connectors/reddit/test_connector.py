"""The Reddit connector through praw against the emulator (and, where the
emulator cannot misbehave the right way, against recorded answers)."""

import json
import logging
from pathlib import Path

import pytest
import requests

from config.settings import AccountSettings
from connectors.base import ConnectorError
from connectors.emulator import EmulatorServer
from connectors.reddit.connector import RedditConnector
from connectors.reddit.emulator import CLIENT_ID, CLIENT_SECRET, PASSWORD
from tests.connectors import emulated
from tests.connectors.emulated import add_fault, api_calls, control, listed

FIXTURES = Path(__file__).resolve().parents[3] / "connectors" / "reddit" / "fixtures"
CREDENTIALS = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "username": "acme", "password": PASSWORD}
TOKEN = {"access_token": "recorded", "token_type": "bearer", "expires_in": 86400, "scope": "*"}


def connector_for(server: EmulatorServer, **overrides) -> RedditConnector:
    return RedditConnector(**{**CREDENTIALS, "base_url": server.url, "timeout": 5.0, **overrides})


def offline() -> RedditConnector:
    """A connector whose every call would fail as unreachable (transient)."""
    return RedditConnector(**CREDENTIALS, base_url="http://127.0.0.1:9", timeout=1.0)


def warmed(server: EmulatorServer, **overrides) -> RedditConnector:
    """A connector that holds its access token already, so a fault hits the API call."""
    connector = connector_for(server, **overrides)
    connector.fetch("mentions", "", None)
    return connector


def add(server: EmulatorServer, kind: str, text: str, author: str = "maple_rider", **extra) -> str:
    body = {"kind": kind, "author": {"name": author}, "text": text, **extra}
    return control(server, "reddit/posts", body)["id"]


def emulated_posts(server: EmulatorServer) -> dict[str, dict]:
    return {p["id"]: p for p in listed(server, "reddit")}


def replaying(fixture: str) -> RedditConnector:
    """A connector handed a token, then answered with one recorded body."""
    body = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    return emulated.replaying(RedditConnector(**CREDENTIALS), 200, body, also={"/api/v1/access_token": TOKEN})


def test_it_reads_mentions_replies_and_messages_from_the_unread_inbox_oldest_first(emulator):
    connector = connector_for(emulator)
    mention = add(emulator, "mention", "my kettle leaks")
    answer = connector.post_reply(mention, "Sorry! Which model is it?")
    reply = add(emulator, "comment", "the 2 litre one", in_reply_to=answer.external_id)
    message = add(emulator, "message", "and I was charged twice", author="tinkerjune", title="billing")
    add(emulator, "comment", "nobody called for the brand here", author="tinkerjune")

    batch = connector.fetch("mentions", "", None)

    assert [p.external_id for p in batch.posts] == [mention, reply, message]
    assert [p.kind for p in batch.posts] == ["comment", "reply", "direct_message"]
    assert batch.posts[0].text == "u/acme my kettle leaks"
    assert batch.posts[1].in_reply_to == answer.external_id
    assert batch.posts[1].conversation_id == batch.posts[0].conversation_id
    assert batch.posts[2].author.handle == "tinkerjune"
    assert batch.posts[2].author.platform_user_id.startswith("t2_")
    assert batch.cursor == message
    assert api_calls(emulator, "reddit", "/message/unread")[-1]["params"]["raw_json"] == "1"


def test_it_marks_read_exactly_the_items_of_the_batch_when_acknowledged(emulator):
    connector = connector_for(emulator)
    first = add(emulator, "mention", "first")
    batch = connector.fetch("mentions", "", None)
    later = add(emulator, "mention", "arrived before the batch was stored")

    assert [p.external_id for p in connector.fetch("mentions", "", None).posts] == [first, later]
    batch.acknowledge()

    assert [p.external_id for p in connector.fetch("mentions", "", None).posts] == [later]
    assert api_calls(emulator, "reddit", "/api/read_message")[-1]["params"]["id"] == first


def test_it_reads_an_unread_inbox_of_several_pages_and_marks_it_read_25_at_a_time(emulator):
    created = [add(emulator, "mention", f"order {n} is late") for n in range(30)]
    connector = connector_for(emulator, page_size=10)

    batch = connector.fetch("mentions", "", None)
    batch.acknowledge()

    assert [p.external_id for p in batch.posts] == created
    assert len(api_calls(emulator, "reddit", "/message/unread")) == 3
    assert [len(c["params"]["id"].split(",")) for c in api_calls(emulator, "reddit", "/api/read_message")] == [25, 5]
    assert connector.fetch("mentions", "", None).posts == []


def test_it_has_nothing_to_acknowledge_in_an_empty_inbox(emulator):
    batch = connector_for(emulator).fetch("mentions", "", "t1_m0a0000")

    assert batch.posts == []
    assert batch.acknowledge is None
    assert batch.cursor == "t1_m0a0000"


def test_it_searches_subreddits_for_posts_across_pages(emulator):
    matching = [add(emulator, "post", f"number {n} leaks", title="Kettle trouble") for n in range(25)]
    add(emulator, "post", "the kettle leaks too", title="Elsewhere", subreddit="teapots")
    add(emulator, "post", "the toaster is fine", title="Toaster")

    batch = connector_for(emulator, page_size=10).fetch("search", "acme+acmehelp", None, "kettle leaks")

    assert [p.external_id for p in batch.posts] == matching
    assert batch.posts[0].text == "Kettle trouble\n\nnumber 0 leaks"
    assert batch.posts[0].kind == "post"
    pages = api_calls(emulator, "reddit", "/search")
    assert pages[0]["path"] == "/r/acme+acmehelp/search/"
    assert {k: pages[0]["params"][k] for k in ("q", "sort", "t", "restrict_sr")} == {
        "q": "kettle leaks", "sort": "new", "t": "week", "restrict_sr": "True"}
    assert len(pages) == 3
    assert [page["params"].get("after") for page in pages] == [None, matching[15], matching[5]]


def test_it_searches_again_for_only_the_posts_newer_than_the_cursor(emulator):
    connector = connector_for(emulator)
    for n in range(3):
        add(emulator, "post", f"kettle question {n}")
    first = connector.fetch("search", "acme", None, "kettle")
    newer = [add(emulator, "post", f"kettle question {n}") for n in range(3, 5)]

    second = connector.fetch("search", "acme", first.cursor, "kettle")
    third = connector.fetch("search", "acme", second.cursor, "kettle")

    assert len(first.posts) == 3
    assert [p.external_id for p in second.posts] == newer
    assert third.posts == []
    assert third.cursor.split()[0] == second.cursor.split()[0]


def test_it_reads_new_comments_that_match_the_query(emulator):
    post = add(emulator, "post", "general thread", title="Weekly thread")
    wanted = [
        add(emulator, "comment", "My HEATER smells funny", in_reply_to=post),
        add(emulator, "comment", "I want a refund", in_reply_to=post),
        add(emulator, "comment", "the heater smells like burning plastic", in_reply_to=post),
    ]
    elsewhere = add(emulator, "post", "other thread", title="Teapots", subreddit="teapots")
    add(emulator, "comment", "my heater smells too, and I want a refund", in_reply_to=elsewhere)
    last = add(emulator, "comment", "the heater is lovely", in_reply_to=post)

    batch = connector_for(emulator).fetch("comments", "acme", None, 'heater smells OR "a refund"')

    assert [p.external_id for p in batch.posts] == wanted
    assert all(p.kind == "comment" and p.conversation_id == post for p in batch.posts)
    assert batch.cursor == last
    assert api_calls(emulator, "reddit", "/comments")[0]["path"] == "/r/acme/comments/"


def test_it_takes_every_new_comment_when_the_query_is_empty(emulator):
    post = add(emulator, "post", "thread")
    created = [add(emulator, "comment", f"comment {n}", in_reply_to=post) for n in range(4)]

    batch = connector_for(emulator).fetch("comments", "acme", None)

    assert [p.external_id for p in batch.posts] == created


def test_it_reads_comments_only_back_to_the_cursor_across_pages(emulator):
    connector = connector_for(emulator, page_size=10)
    post = add(emulator, "post", "thread")
    add(emulator, "comment", "old one", in_reply_to=post)
    first = connector.fetch("comments", "acme", None)
    newer = [add(emulator, "comment", f"new {n}", in_reply_to=post) for n in range(15)]

    second = connector.fetch("comments", "acme", first.cursor)

    assert [p.external_id for p in second.posts] == newer
    assert second.cursor == newer[-1]
    assert len(api_calls(emulator, "reddit", "/r/acme/comments")) == 3


def test_it_keeps_reading_comments_after_the_cursor_comment_was_deleted(emulator):
    connector = connector_for(emulator)
    post = add(emulator, "post", "thread")
    add(emulator, "comment", "soon gone", in_reply_to=post)
    first = connector.fetch("comments", "acme", None)
    requests.delete(f"{emulator.url}/_emulator/reddit/posts/{first.cursor}", timeout=5)
    newer = add(emulator, "comment", "still read", in_reply_to=post)

    assert [p.external_id for p in connector.fetch("comments", "acme", first.cursor).posts] == [newer]


def test_it_skips_a_malformed_item_and_returns_the_rest_of_the_batch():
    batch = replaying("page_with_malformed_items.json").fetch("mentions", "", None)

    assert [p.external_id for p in batch.posts] == ["t4_2f0b001", "t1_m0h1c05"]
    assert len(batch.skipped) == 4
    assert batch.cursor == "t1_m0h1c05"


def test_it_posts_a_reply_under_a_comment(emulator):
    mention = add(emulator, "mention", "my blender arrived broken")

    reply = connector_for(emulator).post_reply(mention, "So sorry! Please message us your order number.")

    posted = emulated_posts(emulator)[reply.external_id]
    assert reply.external_id.startswith("t1_")
    assert posted["in_reply_to"] == mention
    assert posted["by_brand"] is True
    assert posted["text"] == "So sorry! Please message us your order number."
    assert reply.url == f"https://www.reddit.com/r/acme/comments/{posted['conversation_id'][3:]}/discussion/" \
                        f"{reply.external_id[3:]}/"


def test_it_posts_a_reply_under_a_post(emulator):
    post = add(emulator, "post", "heater smells", title="Heater smells")

    reply = connector_for(emulator).post_reply(post, "Please unplug it and contact us.")

    posted = emulated_posts(emulator)[reply.external_id]
    assert posted["in_reply_to"] == post
    assert posted["conversation_id"] == post
    assert reply.url.endswith(f"/heater_smells/{reply.external_id[3:]}/")


def test_it_answers_a_private_message_with_a_message(emulator):
    message = add(emulator, "message", "charged twice", title="billing")

    reply = connector_for(emulator).post_reply(message, "We have refunded the second charge.")

    posted = emulated_posts(emulator)[reply.external_id]
    assert reply.external_id.startswith("t4_")
    assert posted["in_reply_to"] == message
    assert posted["by_brand"] is True
    assert reply.url == f"https://www.reddit.com/message/messages/{reply.external_id[3:]}"


def test_it_looks_for_its_reply_among_its_newest_comments(emulator):
    question = add(emulator, "mention", "where is my refund?")
    connector = connector_for(emulator)
    reply = connector.post_reply(question, "Refunds take 5 days.")

    assert connector.find_reply(question, "Refunds take 5 days.") == reply
    assert api_calls(emulator, "reddit", "/user/acme/comments")[-1]["params"]["sort"] == "new"


def test_it_finds_an_answer_it_already_sent_to_a_private_message(emulator):
    message = add(emulator, "message", "charged twice")
    connector = connector_for(emulator)
    sent = connector.post_reply(message, "Refunded.")

    assert connector.find_reply(message, "Refunded.") == sent
    assert connector.find_reply(message, "Not refunded.") is None


def test_it_refuses_to_reply_to_a_deleted_comment_with_reddits_reason(emulator):
    mention = add(emulator, "mention", "never mind")
    requests.delete(f"{emulator.url}/_emulator/reddit/posts/{mention}", timeout=5)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).post_reply(mention, "Glad it is sorted!")

    assert caught.value.permanent is True
    assert "DELETED_COMMENT: that comment has been deleted" in caught.value.message


def test_it_refuses_to_reply_under_a_locked_thread_with_reddits_reason():
    with pytest.raises(ConnectorError) as caught:
        replaying("locked_thread_answer.json").post_reply("t3_1b7m0ff", "Hello")

    assert caught.value.permanent is True
    assert "THREAD_LOCKED: Comments are locked." in caught.value.message


def test_it_waits_as_long_as_reddit_asks_after_posting_too_much():
    with pytest.raises(ConnectorError) as caught:
        replaying("ratelimit_answer.json").post_reply("t1_m0g7a10", "Hello")

    assert caught.value.permanent is False
    assert caught.value.retry_after == 540


def test_it_refuses_a_reply_longer_than_reddit_allows_without_calling_reddit():
    with pytest.raises(ConnectorError) as caught:
        offline().post_reply("t1_m0a0000", "x" * 10001)

    assert caught.value.permanent is True
    assert "at most 10000 characters" in caught.value.message


@pytest.mark.parametrize("target", ["", "123", "t2_1a0000", "https://www.reddit.com/r/acme"])
def test_it_refuses_to_reply_to_something_that_is_not_a_thing_without_calling_reddit(target):
    with pytest.raises(ConnectorError) as caught:
        offline().post_reply(target, "Hello")

    assert caught.value.permanent is True
    assert "not the fullname" in caught.value.message


def test_it_waits_until_the_rate_limit_resets(emulator):
    connector = warmed(emulator)
    add_fault(emulator, "reddit", status=429, retry_after=120)

    with pytest.raises(ConnectorError) as caught:
        connector.fetch("mentions", "", None)

    assert caught.value.status == 429
    assert caught.value.permanent is False
    assert caught.value.retry_after == 120


def test_it_hands_back_a_spent_quota_instead_of_sleeping_through_it(emulator, sleeps):
    connector = warmed(emulator)
    add_fault(emulator, "reddit", status=429, retry_after=300)
    with pytest.raises(ConnectorError):
        connector.fetch("mentions", "", None)
    calls = len(api_calls(emulator, "reddit"))

    with pytest.raises(ConnectorError) as caught:
        connector.post_reply("t1_m0a0000", "Hello")

    assert sleeps == []
    assert 290 < caught.value.retry_after <= 300
    assert len(api_calls(emulator, "reddit")) == calls


@pytest.mark.parametrize("status", [500, 503])
def test_it_tries_a_call_reddit_fails_once_without_sleeping(emulator, sleeps, status):
    connector = warmed(emulator)
    add_fault(emulator, "reddit", status=status)

    with pytest.raises(ConnectorError) as caught:
        connector.fetch("search", "acme", None, "kettle")

    assert caught.value.status == status
    assert len(api_calls(emulator, "reddit", "/search")) == 1
    assert sleeps == []


def test_it_tries_a_call_reddit_does_not_answer_once(emulator):
    connector = warmed(emulator, timeout=1.0)
    add_fault(emulator, "reddit", status="timeout", seconds=2)

    with pytest.raises(ConnectorError) as caught:
        connector.fetch("search", "acme", None, "kettle")

    assert "did not answer within 1 s" in caught.value.message
    assert len(api_calls(emulator, "reddit", "/search")) == 1


def test_it_fetches_a_new_token_when_reddit_refuses_the_old_one(emulator, sleeps):
    connector = warmed(emulator)
    add_fault(emulator, "reddit", status=401)

    assert connector.fetch("mentions", "", None).posts == []
    assert len(api_calls(emulator, "reddit", "/api/v1/access_token")) == 2
    assert sleeps == []


def test_it_reports_a_token_refused_again_as_permanent(emulator, sleeps):
    connector = warmed(emulator)
    add_fault(emulator, "reddit", status=401, count=2)

    with pytest.raises(ConnectorError) as caught:
        connector.fetch("mentions", "", None)

    assert caught.value.permanent is True
    assert caught.value.status == 401
    assert "client_id and client_secret" in caught.value.message
    assert len(api_calls(emulator, "reddit", "/message/unread")) == 2
    assert sleeps == []


def test_it_reports_a_forbidden_call_as_permanent(emulator):
    connector = warmed(emulator)
    add_fault(emulator, "reddit", status=403)

    with pytest.raises(ConnectorError) as caught:
        connector.fetch("search", "acme", None, "kettle")

    assert caught.value.permanent is True
    assert caught.value.status == 403
    assert "Forbidden" in caught.value.message


def test_it_says_whom_a_private_subreddits_moderators_must_approve(emulator):
    requests.put(f"{emulator.url}/_emulator/reddit/subreddits/acme", json={"private": True},
                 timeout=5).raise_for_status()

    with pytest.raises(ConnectorError) as caught:
        warmed(emulator).fetch("comments", "acme", None)

    assert caught.value.permanent is True
    assert caught.value.status == 403
    assert "the subreddit is private; ask its moderators to add u/acme as an approved user" in caught.value.message


def test_it_reports_a_wrong_password_as_permanent(emulator):
    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator, password="not-the-password").fetch("mentions", "", None)

    assert caught.value.permanent is True
    assert "invalid_grant" in caught.value.message
    assert "username and password" in caught.value.message


def test_it_reports_a_wrong_app_secret_as_permanent(emulator):
    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator, client_secret="not-the-secret").fetch("mentions", "", None)

    assert caught.value.permanent is True
    assert caught.value.status == 401
    assert "check client_id and client_secret" in caught.value.message


@pytest.mark.parametrize("kind, target, query, reason", [
    ("page_posts", "acme", "", "no source kind"),
    ("search", "acme", " ", "needs a query"),
    ("search", "", "kettle", "subreddit names"),
    ("comments", "acme, acmehelp", "", "subreddit names"),
])
def test_it_refuses_a_source_it_cannot_read_without_calling_reddit(kind, target, query, reason):
    with pytest.raises(ConnectorError) as caught:
        offline().fetch(kind, target, None, query)

    assert caught.value.permanent is True
    assert reason in caught.value.message


def test_it_names_the_missing_credentials():
    with pytest.raises(ConnectorError) as caught:
        RedditConnector(client_id="app", username="acme")

    assert caught.value.permanent is True
    assert "client_secret, password" in caught.value.message


def test_it_is_built_from_account_settings(emulator, monkeypatch, http_timeouts):
    monkeypatch.setenv("TEST_REDDIT_PASSWORD", PASSWORD)
    add(emulator, "mention", "hi from settings")
    account = AccountSettings(platform="reddit", base_url=emulator.url, client_id=CLIENT_ID,
                              client_secret=CLIENT_SECRET, username="acme", password="env:TEST_REDDIT_PASSWORD",
                              user_agent="closeloop-test/1.0 by acme")

    connector = RedditConnector.from_account(account, timeout=3.0)

    http_timeouts.clear()
    assert len(connector.fetch("mentions", "", None).posts) == 1
    assert http_timeouts == [3.0, 3.0]
    assert connector.session.headers["User-Agent"].startswith("closeloop-test/1.0 by acme")


def test_it_keeps_credentials_out_of_the_logs(emulator, caplog):
    caplog.set_level(logging.DEBUG)
    mention = add(emulator, "mention", "log me")
    connector = connector_for(emulator)

    connector.fetch("mentions", "", None)
    connector.post_reply(mention, "logged?")

    assert "/message/unread/" in caplog.text
    tokens = emulator.app.extensions["emulator"].platforms["reddit"].tokens
    for secret in (CLIENT_SECRET, PASSWORD, *tokens):
        assert secret not in caplog.text
