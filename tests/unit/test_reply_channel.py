from config.settings import AccountSettings
from connectors.registry import account_can_reply
from responder.channels import ReplyChannel


def test_social_platforms_can_always_reply():
    for platform in ("x", "facebook", "reddit"):
        assert account_can_reply(AccountSettings(platform=platform))


def test_a_review_feed_can_reply_only_through_a_configured_reply_api():
    assert not account_can_reply(AccountSettings(platform="reviews"))
    assert account_can_reply(AccountSettings(platform="reviews", reply_url="https://r.example/{review_id}"))


def test_a_channel_knows_its_platforms_length_limit():
    assert ReplyChannel.of("x").limit == 280
    assert "no reply API" in ReplyChannel.of("reviews", can_reply=False).why_not
