"""What every connector does alike, each through its client library against
the emulator: it gives up on a platform that does not answer, reports one
that cannot be reached or fails as transient after one attempt and without
sleeping (the listener and the outbox retry on their own schedule), never
names its credentials, and finds a reply it already posted by its text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from config.settings import AccountSettings
from connectors.base import Connector, ConnectorError
from connectors.emulator import EmulatorServer
from connectors.facebook.connector import FacebookConnector
from connectors.instagram.connector import InstagramConnector
from connectors.reddit.connector import RedditConnector
from connectors.registry import connector_class
from connectors.reviews.connector import ReviewFeedConnector
from connectors.x.connector import XConnector
from tests.connectors.emulated import add_fault, api_calls, control, unreachable_url
from tests.connectors.facebook.test_connector import PAGE_ID, TOKEN
from tests.connectors.instagram.test_connector import IG_USER_ID
from tests.connectors.reddit.test_connector import CREDENTIALS
from tests.connectors.reviews.test_connector import REPLY_URL
from tests.connectors.x.test_connector import BRAND_ID, OAUTH

REVIEWS_API_KEY = "reply-api-key-value"
UNREADABLE = "env:TEST_MISSING_SECRET"


@dataclass(frozen=True)
class Platform:
    name: str
    # A connector for the platform at this address, with this timeout.
    connect: Callable[[str, float], Connector]
    # The kind and target of a source to fetch.
    source: tuple[str, str]
    # A customer's post in the emulator, by the emulator's control API.
    customer_post: dict
    secrets: tuple[str, ...]
    # Account settings whose one secret cannot be read.
    unreadable_account: dict

    def __str__(self) -> str:
        return self.name


PLATFORMS = [
    Platform(
        "x", lambda url, timeout: XConnector(**OAUTH, user_id=BRAND_ID, base_url=url, timeout=timeout),
        source=("mentions", ""), customer_post={"author": {"handle": "maple_rider"}},
        secrets=(OAUTH["consumer_secret"], OAUTH["access_token_secret"]),
        unreadable_account={"bearer_token": UNREADABLE}),
    Platform(
        "facebook", lambda url, timeout: FacebookConnector(PAGE_ID, TOKEN, base_url=url, timeout=timeout),
        source=("page_posts", PAGE_ID), customer_post={"kind": "post", "author": {"name": "Maple Rider"}},
        secrets=(TOKEN,), unreadable_account={"page_id": PAGE_ID, "page_access_token": UNREADABLE}),
    Platform(
        "instagram", lambda url, timeout: InstagramConnector(IG_USER_ID, PAGE_ID, TOKEN, username="acme",
                                                             base_url=f"{url}/instagram", timeout=timeout),
        source=("comments", ""), customer_post={"author": {"username": "maple_rider"}}, secrets=(TOKEN,),
        unreadable_account={"ig_user_id": IG_USER_ID, "page_id": PAGE_ID, "page_access_token": UNREADABLE}),
    Platform(
        "reddit", lambda url, timeout: RedditConnector(**CREDENTIALS, base_url=url, timeout=timeout),
        source=("mentions", ""), customer_post={"kind": "mention", "author": {"name": "maple_rider"}},
        secrets=(CREDENTIALS["client_secret"], CREDENTIALS["password"]),
        unreadable_account={**CREDENTIALS, "password": UNREADABLE}),
    Platform(
        "reviews", lambda url, timeout: ReviewFeedConnector(base_url=url, reply_url=REPLY_URL,
                                                            api_key=REVIEWS_API_KEY, timeout=timeout),
        source=("feed", "/reviews/feed.xml"), customer_post={"author": {"name": "Wren Halloway"}, "rating": 2},
        secrets=(REVIEWS_API_KEY,), unreadable_account={"reply_url": REPLY_URL, "api_key": UNREADABLE}),
]


def ask(server: EmulatorServer, platform: Platform, text: str) -> str:
    """A customer's post on the platform; its id as the connector knows it."""
    return control(server, f"{platform.name}/posts", {**platform.customer_post, "text": text})["id"]


@pytest.mark.parametrize("platform", PLATFORMS, ids=str)
def test_it_gives_up_quickly_on_a_platform_that_does_not_answer(emulator, http_timeouts, platform):
    add_fault(emulator, platform.name, status="timeout", seconds=3)
    connector = platform.connect(emulator.url, 1.0)
    http_timeouts.clear()

    with pytest.raises(ConnectorError) as caught:
        connector.fetch(*platform.source, None)

    assert http_timeouts and set(http_timeouts) == {1.0}
    assert caught.value.permanent is False
    assert "did not answer within 1 s" in caught.value.message


@pytest.mark.parametrize("platform", PLATFORMS, ids=str)
def test_it_reports_an_unreachable_platform_as_transient_without_its_credentials(sleeps, platform):
    with pytest.raises(ConnectorError) as caught:
        platform.connect(unreachable_url(), 2.0).fetch(*platform.source, None)

    assert sleeps == []
    assert caught.value.permanent is False
    assert "could not be reached" in caught.value.message
    assert not [secret for secret in platform.secrets if secret in caught.value.message]


@pytest.mark.parametrize("status", [500, 503])
@pytest.mark.parametrize("platform", PLATFORMS, ids=str)
def test_it_reports_a_server_error_as_transient_after_one_attempt(emulator, sleeps, platform, status):
    add_fault(emulator, platform.name, status=status)

    with pytest.raises(ConnectorError) as caught:
        platform.connect(emulator.url, 5.0).fetch(*platform.source, None)

    assert sleeps == []
    assert caught.value.permanent is False
    assert caught.value.status == status
    assert caught.value.retry_after is None
    paths = [call["path"] for call in api_calls(emulator, platform.name)]
    assert len(paths) == len(set(paths))


@pytest.mark.parametrize("platform", PLATFORMS, ids=str)
def test_it_reports_an_unreadable_secret_as_permanent(monkeypatch, platform):
    monkeypatch.delenv("TEST_MISSING_SECRET", raising=False)
    account = AccountSettings(platform=platform.name, **platform.unreadable_account)

    with pytest.raises(ConnectorError) as caught:
        connector_class(platform.name).from_account(account, timeout=3.0)

    assert caught.value.permanent is True
    assert "TEST_MISSING_SECRET" in caught.value.message


@pytest.mark.parametrize("platform", PLATFORMS, ids=str)
def test_it_finds_a_reply_it_already_posted_by_its_text(emulator, platform):
    question, other = ask(emulator, platform, "where is my refund?"), ask(emulator, platform, "and mine?")
    connector = platform.connect(emulator.url, 5.0)
    connector.post_reply(other, "Refunds take 5 days & we are on it.")
    reply = connector.post_reply(question, "Refunds take 5 days & we are on it.")

    found = connector.find_reply(question, "Refunds take 5 days  &  we are on it.\n")

    assert found is not None
    assert found.external_id == reply.external_id


@pytest.mark.parametrize("platform", PLATFORMS, ids=str)
def test_it_finds_no_reply_with_another_text(emulator, platform):
    question = ask(emulator, platform, "where is my refund?")
    connector = platform.connect(emulator.url, 5.0)
    connector.post_reply(question, "Refunds take 5 days.")

    assert connector.find_reply(question, "Refunds take 7 days.") is None
