"""Hiding replies to the brand's posts through tweepy's hide_reply against the emulator."""

import pytest

from config.settings import AccountSettings
from connectors.base import ConnectorError
from connectors.moderation import StoredPost
from connectors.registry import why_not_moderated
from tests.connectors.emulated import api_calls, listed
from tests.connectors.x.test_connector import BRAND_ID, add_post, connector_for


def brand_post(connector) -> str:
    """A post of the brand's own, which customers reply to."""
    return str(connector.client.create_tweet(text="Our spring sale starts today", user_auth=True)["data"]["id"])


def hidden(server, tweet_id) -> bool:
    return next(p for p in listed(server, "x") if p["id"] == tweet_id)["hidden"]


def test_it_hides_and_unhides_a_reply_to_the_brands_post(emulator):
    connector = connector_for(emulator)
    reply = add_post(emulator, "scam company, never buy", in_reply_to=brand_post(connector))

    connector.moderate("hide", reply)
    assert hidden(emulator, reply) is True
    call = api_calls(emulator, "x", f"/tweets/{reply}/hidden")[-1]
    assert call["method"] == "PUT"

    connector.moderate("unhide", reply)
    assert hidden(emulator, reply) is False
    assert connector.comment_state(reply) is None


def test_a_reply_in_someone_elses_conversation_is_refused_with_403(emulator):
    connector = connector_for(emulator)
    reply = add_post(emulator, "me too", in_reply_to=add_post(emulator, "the kettle leaks", handle="someone"))

    with pytest.raises(ConnectorError) as refused:
        connector.moderate("hide", reply)

    assert refused.value.permanent and refused.value.status == 403
    assert "do not own" in refused.value.message
    assert hidden(emulator, reply) is False


def test_hiding_needs_the_accounts_oauth_keys(emulator):
    connector = connector_for(emulator, consumer_key=None, consumer_secret=None, access_token=None,
                              access_token_secret=None, bearer_token="app-only")

    with pytest.raises(ConnectorError) as refused:
        connector.moderate("hide", "1900000000000000002")

    assert refused.value.permanent and "OAuth 1.0a" in refused.value.message
    assert api_calls(emulator, "x", "/hidden") == []


@pytest.mark.parametrize("kind, answered, user_id, allowed", [
    ("reply", BRAND_ID, BRAND_ID, True),
    ("reply", "42", BRAND_ID, False),
    ("post", None, BRAND_ID, False),
    ("reply", BRAND_ID, None, False),
])
def test_only_replies_to_the_brands_posts_can_be_hidden(kind, answered, user_id, allowed):
    account = AccountSettings(platform="x", user_id=user_id, bearer_token="t")
    post = StoredPost(kind, "1", raw={"tweet": {"in_reply_to_user_id": answered}})

    assert (why_not_moderated(account, post) is None) is allowed
