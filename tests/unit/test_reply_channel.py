import pytest

from config.settings import AccountSettings
from connectors.base import ConnectorError
from connectors.registry import account_can_reply, can_message
from connectors.reviews.connector import ReviewFeedConnector
from responder.channels import ReplyChannel, has_message_window


def test_social_platforms_can_always_reply():
    for platform in ("x", "facebook", "reddit", "instagram"):
        assert account_can_reply(AccountSettings(platform=platform))


def test_a_review_feed_can_reply_only_through_a_configured_reply_api():
    assert not account_can_reply(AccountSettings(platform="reviews"))
    assert account_can_reply(AccountSettings(platform="reviews", reply_url="https://r.example/{review_id}"))


def test_a_channel_knows_its_platforms_length_limit():
    assert ReplyChannel.of("x").limit == 280
    assert "no reply API" in ReplyChannel.of("reviews", can_reply=False).why_not


def test_x_facebook_and_instagram_send_direct_messages_each_with_its_own_limit():
    assert [p for p in ("x", "facebook", "reddit", "reviews", "instagram") if can_message(p)] == [
        "x", "facebook", "instagram"]
    direct = ReplyChannel.direct("x")
    assert (direct.kind, direct.limit, direct.allows) == ("direct_message", 10000, "X allows 10000 in a direct message")
    assert ReplyChannel.direct("instagram").allows == "Instagram allows 1000 in a direct message"
    assert ReplyChannel.of("instagram").limit == 2200


def test_only_metas_platforms_have_a_messaging_window():
    assert [p for p in ("x", "facebook", "reddit", "reviews", "instagram") if has_message_window(p)] == [
        "facebook", "instagram"]


@pytest.mark.parametrize("method", ["send_message", "find_message"])
def test_a_connector_without_direct_messages_refuses_them_for_good(method):
    with pytest.raises(ConnectorError) as caught:
        getattr(ReviewFeedConnector(), method)("u1", "Is it sorted?")
    assert caught.value.permanent is True
    assert "no direct messages on reviews" in caught.value.message
