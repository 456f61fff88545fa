"""The Instagram connector through facebook-sdk against the emulator (and,
where the emulator cannot misbehave the right way, against a recorded
answer): comments and replies, tags, mentions, direct messages within
Instagram's 24 hours, and Graph's errors."""

import time
from datetime import datetime, timezone

import pytest

from connectors.base import ConnectorError
from connectors.emulator import EmulatorServer
from connectors.instagram.connector import InstagramConnector
from tests.connectors import emulated
from tests.connectors.emulated import add_fault, api_calls, control, listed

IG_USER_ID = "17841400000000001"
PAGE_ID = "1010"
TOKEN = "page-access-token-value"
WINDOW_RULE = ("Instagram lets a business answer a direct message only within 24 hours of the customer's last "
               "message")


def connector_for(server: EmulatorServer, **overrides) -> InstagramConnector:
    settings = {"username": "acme", "base_url": f"{server.url}/instagram", "timeout": 5.0, **overrides}
    return InstagramConnector(IG_USER_ID, PAGE_ID, TOKEN, **settings)


def comment(server: EmulatorServer, text: str, username: str = "maple_rider", **extra) -> str:
    return control(server, "instagram/posts", {"author": {"username": username}, "text": text, **extra})["id"]


def photo(server: EmulatorServer, caption: str = "Winter sale") -> str:
    return control(server, "instagram/posts", {"kind": "media", "text": caption,
                                               "media_url": "https://cdn.example/sale.jpg"})["id"]


def message(server: EmulatorServer, text: str, username: str = "noor_a", **extra) -> dict:
    return control(server, "instagram/messages", {"author": {"username": username}, "text": text, **extra})


def hours_ago(hours: float) -> int:
    return int(time.time() - hours * 3600)


def test_it_reads_every_comment_and_reply_once_oldest_first_across_pages(emulator):
    media = photo(emulator)
    created = [comment(emulator, f"question {n}", in_reply_to=media) for n in range(23)]
    reply = comment(emulator, "me too", username="tom_builds", in_reply_to=created[0])

    batch = connector_for(emulator, page_size=10).fetch("comments", "", None)

    assert [p.external_id for p in batch.posts] == created + [reply]
    assert batch.posts[-1].kind == "reply" and batch.posts[-1].in_reply_to == created[0]
    assert all(p.conversation_id == media for p in batch.posts)
    pages = api_calls(emulator, "instagram", f"/{media}/comments")
    assert len(pages) == 3 and all("after" in page["params"] for page in pages[1:])


def test_it_reads_only_what_is_newer_than_the_cursor_less_a_small_overlap(emulator):
    media = photo(emulator)
    comment(emulator, "old one", in_reply_to=media, created_time=hours_ago(2))
    latest_seen = comment(emulator, "newest seen", in_reply_to=media, created_time=hours_ago(1))
    connector = connector_for(emulator)
    first = connector.fetch("comments", "", None)
    newer = comment(emulator, "new one", in_reply_to=media)

    second = connector.fetch("comments", "", first.cursor)

    assert [p.external_id for p in second.posts] == [latest_seen, newer]


def test_a_comment_whose_author_is_hidden_is_read_by_username_or_skipped_when_nothing_names_it(emulator):
    media = photo(emulator)
    known = comment(emulator, "who am I?", username="quiet_one", in_reply_to=media, restricted=True)
    comment(emulator, "nobody at all", username="ghost", in_reply_to=media, restricted="all")

    batch = connector_for(emulator).fetch("comments", "", None)

    [post] = batch.posts
    assert (post.external_id, post.author.platform_user_id, post.author.handle) == (
        known, "username:quiet_one", "quiet_one")
    assert "neither from nor username" in batch.skipped[0].reason


def test_it_reads_the_media_the_account_is_tagged_in_with_their_photos(emulator):
    tagged = [control(emulator, "instagram/posts", {"kind": "mention", "author": {"username": f"fan_{n}"},
                                                    "text": f"@acme look {n}",
                                                    "media_url": f"https://cdn.example/{n}.jpg"})["id"]
              for n in range(12)]
    photo(emulator, "our own photo is no mention")

    batch = connector_for(emulator, page_size=5).fetch("mentions", "", None)

    assert [p.external_id for p in batch.posts] == tagged
    assert batch.posts[0].media[0].url == "https://cdn.example/0.jpg"
    assert len(api_calls(emulator, "instagram", "/tags")) == 3


def test_a_reply_goes_under_the_comment_and_an_answer_to_a_reply_under_its_comment(emulator):
    question = comment(emulator, "does it come in red?")
    follow_up = comment(emulator, "and in blue?", in_reply_to=question)
    connector = connector_for(emulator)

    first = connector.post_reply(question, "Red arrives in March!")
    second = connector.post_reply(follow_up, "Blue too.")

    posts = {p["id"]: p for p in listed(emulator, "instagram")}
    assert posts[first.external_id]["in_reply_to"] == question and posts[first.external_id]["by_brand"]
    assert posts[second.external_id]["in_reply_to"] == question
    assert connector.find_reply(follow_up, "Blue too.").external_id == second.external_id


def test_a_reply_longer_than_instagram_allows_is_refused_before_sending(emulator):
    question = comment(emulator, "hello?")

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).post_reply(question, "x" * 2201)

    assert caught.value.permanent and "at most 2200 characters; this one has 2201" in caught.value.message
    assert api_calls(emulator, "instagram", method="POST") == []


def test_a_mention_is_answered_on_the_media_and_found_again(emulator):
    mention = control(emulator, "instagram/posts", {"kind": "mention", "author": {"username": "wren"},
                                                    "text": "@acme arrived broken",
                                                    "media_url": "https://cdn.example/w.jpg"})
    connector = connector_for(emulator)

    answer = connector.post_reply(mention["id"], "So sorry Wren, we sent you a message.")

    [call] = api_calls(emulator, "instagram", f"/{IG_USER_ID}/mentions", method="POST")
    assert call["params"]["media_id"] == mention["media_id"]
    assert connector.find_reply(mention["id"], "So sorry Wren,  we sent you a message.").external_id == \
        answer.external_id
    assert connector.find_reply(mention["id"], "Another text") is None


def test_a_mention_named_by_a_webhook_is_read_back(emulator):
    mention = control(emulator, "instagram/posts", {"kind": "mention", "author": {"username": "wren"},
                                                    "text": "@acme arrived broken",
                                                    "media_url": "https://cdn.example/w.jpg"})
    theirs = control(emulator, "instagram/posts", {"kind": "media", "author": {"username": "kenji_t"},
                                                   "text": "my desk", "media_url": "https://cdn.example/k.jpg"})
    said = comment(emulator, "@acme does this fit?", username="priya_reads", in_reply_to=theirs["media_id"])
    connector = connector_for(emulator)

    [tagged] = connector.fetch_mentioned(mention["media_id"], None).posts
    [commented] = connector.fetch_mentioned(theirs["media_id"], said).posts

    assert (tagged.external_id, tagged.media[0].url) == (mention["id"], "https://cdn.example/w.jpg")
    assert (commented.external_id, commented.text) == (f"mention_{theirs['media_id']}_{said}", "@acme does this fit?")


def test_it_reads_direct_messages_of_every_conversation_across_pages(emulator):
    sent = [message(emulator, f"hello {n}", username=f"customer_{n}")["id"] for n in range(7)]
    with_photo = message(emulator, "look", attachments=[{"type": "image", "url": "https://cdn.example/p.jpg"}])

    batch = connector_for(emulator, page_size=3).fetch("messages", "", None)

    assert [p.external_id for p in batch.posts] == sent + [with_photo["id"]]
    assert batch.posts[-1].media[0].url == "https://cdn.example/p.jpg"
    assert batch.posts[-1].conversation_id == with_photo["user_id"]
    assert len(api_calls(emulator, "instagram", "/1010/conversations")) == 3


def test_an_answer_by_direct_message_within_24_hours_is_sent_and_found_again(emulator):
    customer = message(emulator, "where is my parcel?", created_time=hours_ago(23))
    connector = connector_for(emulator)

    sent = connector.send_message(customer["user_id"], "It left the warehouse today.")

    messages = listed(emulator, "instagram", "messages")
    assert [(m["by_brand"], m["text"]) for m in messages][-1] == (True, "It left the warehouse today.")
    assert sent.conversation_id == customer["user_id"]
    assert connector.find_message(customer["user_id"], "It left the warehouse  today.").external_id == \
        sent.external_id
    assert connector.find_message(customer["user_id"], "It left the warehouse today.",
                                  since_id=sent.external_id) is None


def test_an_answer_after_24_hours_is_refused_before_sending_with_the_rule(emulator):
    customer = message(emulator, "where is my parcel?", created_time=hours_ago(25))

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).send_message(customer["user_id"], "Sorry for the wait!")

    assert caught.value.permanent
    assert caught.value.message.startswith(WINDOW_RULE + "; the customer last wrote 25 hours ago")
    assert "Answer in a comment on their post instead, or wait until the customer writes again." in \
        caught.value.message
    assert api_calls(emulator, "instagram", "/1010/messages", method="POST") == []
    assert len(listed(emulator, "instagram", "messages")) == 1


def test_instagrams_own_refusal_outside_the_window_is_explained(emulator, monkeypatch):
    customer = message(emulator, "hello?", created_time=hours_ago(30))
    connector = connector_for(emulator)
    monkeypatch.setattr(connector, "_last_customer_message", lambda user_id: datetime.now(timezone.utc))

    with pytest.raises(ConnectorError) as caught:
        connector.send_message(customer["user_id"], "Sorry!")

    assert caught.value.permanent and caught.value.message.startswith(WINDOW_RULE)
    assert "Instagram refused this one as outside it" in caught.value.message


def test_a_revoked_token_says_how_to_fix_it(emulator):
    add_fault(emulator, "instagram", status=401)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).fetch("comments", "", None)

    assert caught.value.permanent and "code 190" in caught.value.message
    assert "generate a new page access token" in caught.value.message


def test_a_missing_permission_names_the_instagram_permissions(emulator):
    add_fault(emulator, "instagram", status=403)

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator).fetch("mentions", "", None)

    assert caught.value.permanent and "instagram_manage_comments" in caught.value.message


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_a_rate_limit_waits_until_access_returns(code):
    body = {"error": {"message": "(#%d) Application request limit reached" % code, "type": "OAuthException",
                      "code": code, "is_transient": True, "fbtrace_id": "AbCdEf"}}
    usage = '{"17841400000000001": [{"type": "instagram", "estimated_time_to_regain_access": 7}]}'
    connector = emulated.replaying(InstagramConnector(IG_USER_ID, PAGE_ID, TOKEN), 400, body,
                                   {"X-Business-Use-Case-Usage": usage})

    with pytest.raises(ConnectorError) as caught:
        connector.fetch("comments", "", None)

    assert (caught.value.permanent, caught.value.retry_after, caught.value.status) == (False, 420.0, 429)
    assert caught.value.message.startswith("Instagram rate limit reached")


def test_an_invalid_parameter_is_permanent(emulator):
    question = comment(emulator, "hello?")

    with pytest.raises(ConnectorError) as caught:
        connector_for(emulator)._call("reading", "gone", question, {"fields": "id,no_such_field"})

    assert caught.value.permanent and "code 100" in caught.value.message


def test_an_account_without_its_ids_is_refused():
    with pytest.raises(ConnectorError, match="missing ig_user_id"):
        InstagramConnector(None, PAGE_ID, TOKEN)
