"""The emulator's Instagram part and the Messenger Platform part it shares
with Facebook, spoken to as plain HTTP: Graph's error shapes and codes,
paging, Instagram's limits, the 24-hour window, and signed webhook
deliveries that the connectors' parsers read."""

import json
import time

import pytest
import requests

from connectors.facebook.webhook import parse_webhook as parse_page_webhook
from connectors.facebook.webhook import signature_is_valid
from connectors.instagram.webhook import mentions_of, parse_webhook
from tests.connectors.emulated import add_fault, control
from tests.connectors.facebook.test_emulator import receiver  # noqa: F401 (a fixture)

IG_USER_ID = "17841400000000001"
AUTH = {"Authorization": "Bearer page-token"}


def graph(server, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{server.url}/instagram/v27.0/{path}", headers=AUTH, timeout=5, **kwargs)


def error_of(response: requests.Response) -> dict:
    return response.json()["error"]


def photo(server) -> str:
    body = {"kind": "media", "text": "Sale", "media_url": "https://c.example/s.jpg"}
    return control(server, "instagram/posts", body)["id"]


def test_it_refuses_a_call_without_a_token_in_graphs_shape(emulator):
    response = requests.get(f"{emulator.url}/instagram/v27.0/{IG_USER_ID}/media", timeout=5)

    error = error_of(response)
    assert response.status_code == 400
    assert (error["code"], error["type"]) == (104, "OAuthException") and "fbtrace_id" in error


@pytest.mark.parametrize("status, code", [(401, 190), (403, 10), (429, 4)])
def test_an_injected_fault_answers_with_graphs_code(emulator, status, code):
    add_fault(emulator, "instagram", status=status)

    assert error_of(graph(emulator, "GET", f"{IG_USER_ID}/media"))["code"] == code


def test_it_refuses_a_field_that_does_not_exist_and_an_unknown_object(emulator):
    assert error_of(graph(emulator, "GET", f"{IG_USER_ID}/media", params={"fields": "id,shoe_size"}))["code"] == 100
    missing = error_of(graph(emulator, "GET", "17999999999999999"))
    assert (missing["code"], missing["error_subcode"]) == (100, 33)


def test_it_pages_comments_newest_first_with_a_next_link_until_the_last_page(emulator):
    media = photo(emulator)
    ids = [control(emulator, "instagram/posts", {"author": {"username": f"u{n}"}, "text": f"c{n}",
                                                 "in_reply_to": media})["id"] for n in range(5)]

    first = graph(emulator, "GET", f"{media}/comments", params={"limit": 3}).json()
    second = requests.get(first["paging"]["next"], headers=AUTH, timeout=5).json()

    assert [c["id"] for c in first["data"] + second["data"]] == ids[::-1]
    assert "next" not in second["paging"]


def test_a_comment_longer_than_2200_characters_is_refused(emulator):
    question = control(emulator, "instagram/posts", {"author": {"username": "ana"}, "text": "hi"})["id"]

    error = error_of(graph(emulator, "POST", f"{question}/replies", data={"message": "x" * 2201}))

    assert error["code"] == 100 and "2200" in error["message"]


def test_a_message_after_the_window_is_refused_as_meta_words_it(emulator):
    customer = control(emulator, "instagram/messages", {"author": {"username": "ana"}, "text": "hello",
                                                        "created_time": int(time.time()) - 25 * 3600})
    args = {"recipient": json.dumps({"id": customer["user_id"]}), "message": json.dumps({"text": "hi"}),
            "messaging_type": "RESPONSE"}

    error = error_of(graph(emulator, "POST", "1010/messages", data=args))

    assert (error["code"], error["error_subcode"]) == (10, 2018278)
    assert error["message"].startswith("(#10) This message is sent outside of allowed window.")
    assert [m["by_brand"] for m in requests.get(f"{emulator.url}/_emulator/instagram/messages",
                                                timeout=5).json()["messages"]] == [False]


def test_a_message_to_someone_who_never_wrote_is_refused(emulator):
    args = {"recipient": json.dumps({"id": "123"}), "message": json.dumps({"text": "hi"})}

    error = error_of(graph(emulator, "POST", "1010/messages", data=args))

    assert (error["code"], error["error_subcode"]) == (100, 2018001)


def test_instagram_and_messenger_conversations_are_apart(emulator):
    control(emulator, "instagram/messages", {"author": {"username": "ana"}, "text": "on instagram"})
    control(emulator, "facebook/messages", {"author": {"name": "Ana"}, "text": "on messenger"})

    instagram = graph(emulator, "GET", "1010/conversations", params={"platform": "instagram"}).json()["data"]
    messenger = requests.get(f"{emulator.url}/v27.0/1010/conversations", headers=AUTH, timeout=5,
                             params={"platform": "messenger"}).json()["data"]

    assert len(instagram) == len(messenger) == 1 and instagram[0]["id"] != messenger[0]["id"]


def test_the_control_api_refuses_bad_input_with_the_reason(emulator):
    bad = [({"kind": "story"}, "kind must be"), ({"author": {"username": "no spaces"}, "text": "x"}, "username"),
           ({"author": {"username": "ana"}, "text": "x", "in_reply_to": "nope"}, "not a known media"),
           ({"kind": "mention", "text": "x"}, "give an author")]
    for body, reason in bad:
        response = requests.post(f"{emulator.url}/_emulator/instagram/posts", json=body, timeout=5)
        assert response.status_code == 400 and reason in response.json()["error"], body


def test_it_delivers_signed_comments_and_mentions_that_the_parser_reads(emulator, receiver):  # noqa: F811
    media = photo(emulator)
    said = control(emulator, "instagram/posts", {"author": {"username": "ana"}, "text": "broken", "in_reply_to": media})
    tagged = control(emulator, "instagram/posts", {"kind": "mention", "author": {"username": "bo"}, "text": "@acme",
                                                   "media_url": "https://c.example/b.jpg"})

    answer = requests.post(f"{emulator.url}/_emulator/instagram/webhook-deliveries", timeout=5,
                           json={"url": receiver.url, "post_ids": [said["id"], tagged["id"]]}).json()

    assert answer["status"] == 200
    delivered = receiver.received[0]
    assert signature_is_valid(delivered.body, delivered.signature, "emulator-app-secret")
    payload = json.loads(delivered.body)
    posts, skipped = parse_webhook(payload, IG_USER_ID)
    assert [(p.external_id, p.author.handle) for p in posts] == [(said["id"], "ana")] and skipped == []
    assert mentions_of(payload, IG_USER_ID) == [(tagged["media_id"], None)]


def test_it_delivers_messages_both_ways_and_signs_wrongly_when_asked(emulator, receiver):  # noqa: F811
    customer = control(emulator, "facebook/messages", {"author": {"name": "Ana"}, "text": "hi",
                                                       "attachments": [{"type": "image",
                                                                        "url": "https://c.example/a.jpg"}]})

    requests.post(f"{emulator.url}/_emulator/facebook/message-deliveries", timeout=5,
                  json={"url": receiver.url, "message_ids": [customer["id"]], "signature": "bad"})

    delivered = receiver.received[0]
    assert not signature_is_valid(delivered.body, delivered.signature, "emulator-app-secret")
    [post], _ = parse_page_webhook(json.loads(delivered.body), "1010")
    assert (post.kind, post.author.platform_user_id, post.media[0].url) == (
        "direct_message", customer["user_id"], "https://c.example/a.jpg")


def test_a_view_link_shows_a_post_with_its_replies_or_a_message_in_its_conversation(emulator):
    said = control(emulator, "instagram/posts", {"author": {"username": "ana"}, "text": "<b>broken</b>"})["id"]
    customer = control(emulator, "instagram/messages", {"author": {"username": "ana"}, "text": "<i>hello</i>"})
    args = {"recipient": json.dumps({"id": customer["user_id"]}), "message": json.dumps({"text": "Hi Ana!"})}
    graph(emulator, "POST", "1010/messages", data=args)

    post = requests.get(f"{emulator.url}/_emulator/instagram/view/{said}", timeout=5)
    conversation = requests.get(f"{emulator.url}/_emulator/instagram/view/{customer['id']}", timeout=5)

    assert post.status_code == 200 and "&lt;b&gt;broken&lt;/b&gt;" in post.text
    assert conversation.status_code == 200
    assert "&lt;i&gt;hello&lt;/i&gt;" in conversation.text and "Hi Ana!" in conversation.text
    assert requests.get(f"{emulator.url}/_emulator/instagram/view/nothing", timeout=5).status_code == 404
