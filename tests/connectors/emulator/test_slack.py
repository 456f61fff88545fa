"""The emulator's Slack: the incoming-webhook capture, spoken to over plain
HTTP, and the Web API's chat.postMessage, spoken to through slack-sdk's
WebClient."""

import re

import pytest
import requests

from tests.connectors.emulated import add_fault

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Breached*\nTicket 7"}}]


def hook(server, name="care"):
    return f"{server.url}/_emulator/slack/hooks/{name}"


def messages(server):
    response = requests.get(f"{server.url}/_emulator/slack/messages", timeout=5)
    assert response.status_code == 200
    return response.json()["messages"]



def test_it_captures_a_message_and_answers_ok_like_slack(emulator):
    response = requests.post(hook(emulator), json={"text": "Ticket 7 breached", "blocks": BLOCKS}, timeout=5)

    assert (response.status_code, response.text) == (200, "ok")
    [captured] = messages(emulator)
    assert (captured["hook"], captured["text"], captured["blocks"]) == ("care", "Ticket 7 breached", BLOCKS)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", captured["at"])


def test_it_keeps_messages_per_hook_in_order(emulator):
    requests.post(hook(emulator, "care"), json={"text": "first"}, timeout=5)
    requests.post(hook(emulator, "billing"), json={"blocks": BLOCKS}, timeout=5)

    assert [(m["hook"], m["text"]) for m in messages(emulator)] == [("care", "first"), ("billing", None)]


def test_it_clears_the_captured_messages(emulator):
    requests.post(hook(emulator), json={"text": "first"}, timeout=5)

    assert requests.delete(f"{emulator.url}/_emulator/slack/messages", timeout=5).json() == {"messages": []}
    assert messages(emulator) == []


@pytest.mark.parametrize("data, answer", [
    (b"{not json", "invalid_payload"),
    (b'["a", "list"]', "invalid_payload"),
    (b'{"text": 7}', "invalid_payload"),
    (b'{"text": "hi", "blocks": "not a list"}', "invalid_blocks"),
    (b'{"text": "hi", "blocks": ["not an object"]}', "invalid_blocks"),
    (b'{"text": ""}', "no_text"),
    (b"{}", "no_text"),
])
def test_it_refuses_a_bad_payload_and_captures_nothing(emulator, data, answer):
    response = requests.post(hook(emulator), data=data, headers={"Content-Type": "application/json"}, timeout=5)

    assert (response.status_code, response.text) == (400, answer)
    assert messages(emulator) == []


def test_it_answers_an_injected_rate_limit_with_retry_after(emulator):
    add_fault(emulator, "slack", status=429, retry_after=42)

    response = requests.post(hook(emulator), json={"text": "hi"}, timeout=5)

    assert (response.status_code, response.text) == (429, "rate_limited")
    assert response.headers["Retry-After"] == "42"
    assert messages(emulator) == []


@pytest.mark.parametrize("status, answer", [(403, "invalid_token"), (500, "internal_error")])
def test_it_fails_the_next_calls_as_injected_then_recovers(emulator, status, answer):
    add_fault(emulator, "slack", status=status, count=2)

    answers = [requests.post(hook(emulator), json={"text": f"try {n}"}, timeout=5) for n in range(3)]

    assert [(r.status_code, r.text) for r in answers] == [(status, answer), (status, answer), (200, "ok")]
    assert [m["text"] for m in messages(emulator)] == ["try 2"]


def test_injected_faults_spare_the_control_endpoints(emulator):
    add_fault(emulator, "slack", status=500)

    assert messages(emulator) == []
    assert requests.post(hook(emulator), json={"text": "hi"}, timeout=5).status_code == 500


def web_client(server, token="xoxb-test"):
    from slack_sdk import WebClient

    return WebClient(token=token, base_url=f"{server.url}/_emulator/slack/api/", retry_handlers=[])


def test_chat_post_message_answers_the_ts_and_threads_a_reply_under_it(emulator):
    client = web_client(emulator)
    first = client.chat_postMessage(channel="C0CARE", text="Ticket 7 breached", blocks=BLOCKS)
    reply = client.chat_postMessage(channel="C0CARE", text="Ticket 7 escalated", thread_ts=first["ts"])

    assert first["ok"] and first["channel"] == "C0CARE" and re.fullmatch(r"\d+\.\d{6}", first["ts"])
    assert reply["ts"] != first["ts"] and reply["message"]["thread_ts"] == first["ts"]
    assert [(m["channel"], m["thread_ts"]) for m in messages(emulator)] == [("C0CARE", None),
                                                                            ("C0CARE", first["ts"])]


def test_a_message_to_a_member_lands_in_the_apps_direct_messages(emulator):
    answer = web_client(emulator).chat_postMessage(channel="U0ADA", text="Ticket 7 breached")
    assert answer["channel"] == "DU0ADA"


@pytest.mark.parametrize("call, error", [
    (dict(channel="C0CARE", text="hi", thread_ts="123.000001"), "thread_not_found"),
    (dict(channel="C0CARE", blocks=[]), "no_text"),
    (dict(channel="", text="hi"), "channel_not_found"),
])
def test_chat_post_message_refuses_like_slack(emulator, call, error):
    from slack_sdk.errors import SlackApiError

    with pytest.raises(SlackApiError) as refused:
        web_client(emulator).chat_postMessage(**call)
    assert (refused.value.response.status_code, refused.value.response["error"]) == (200, error)
    assert messages(emulator) == []


def test_chat_post_message_wants_a_token_and_answers_faults(emulator):
    from slack_sdk.errors import SlackApiError

    with pytest.raises(SlackApiError) as refused:
        web_client(emulator, token="").chat_postMessage(channel="C0CARE", text="hi")
    assert refused.value.response["error"] == "not_authed"
    add_fault(emulator, "slack", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as limited:
        web_client(emulator).chat_postMessage(channel="C0CARE", text="hi")
    assert limited.value.response.status_code == 429 and limited.value.response.headers["Retry-After"] == "7"
