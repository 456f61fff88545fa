"""Hiding and deleting comments on the brand's Instagram media through facebook-sdk against the emulator."""

import pytest

from config.settings import AccountSettings
from connectors.base import ConnectorError
from connectors.moderation import CommentState, StoredPost
from connectors.registry import moderation_actions, why_not_moderated
from tests.connectors.emulated import api_calls, control, listed
from tests.connectors.instagram.test_connector import comment, connector_for, photo

ACCOUNT = AccountSettings(platform="instagram", ig_user_id="17841400000000001", page_id="1010",
                          page_access_token="token")


def shown(server, comment_id):
    return next((p for p in listed(server, "instagram") if p["id"] == comment_id), None)


def test_it_hides_and_unhides_a_comment_on_the_brands_media(emulator):
    rude = comment(emulator, "worst shop ever, scammers", in_reply_to=photo(emulator))
    connector = connector_for(emulator)

    connector.moderate("hide", rude)
    assert shown(emulator, rude)["hidden"] is True
    assert connector.comment_state(rude) == CommentState(exists=True, hidden=True)
    assert api_calls(emulator, "instagram", f"/{rude}", method="POST")[-1]["params"] == {"hide": "true"}

    connector.moderate("unhide", rude)
    assert shown(emulator, rude)["hidden"] is False


def test_it_deletes_a_comment_with_its_replies(emulator):
    rude = comment(emulator, "scammers", in_reply_to=photo(emulator))
    reply = comment(emulator, "agreed", username="tom_builds", in_reply_to=rude)
    connector = connector_for(emulator)

    connector.moderate("delete", rude)

    assert shown(emulator, rude) is None and shown(emulator, reply) is None
    assert connector.comment_state(rude) == CommentState(exists=False)


def test_a_comment_on_someone_elses_media_is_refused(emulator):
    theirs = control(emulator, "instagram/posts", {"kind": "media", "author": {"username": "noor_a"},
                                                   "text": "my new kettle", "tags_brand": True})["media_id"]
    under = comment(emulator, "nice", username="tom_builds", in_reply_to=theirs)

    with pytest.raises(ConnectorError) as refused:
        connector_for(emulator).moderate("hide", under)

    assert refused.value.permanent and "code 200" in refused.value.message
    assert shown(emulator, under)["hidden"] is False


def test_instagram_offers_no_like_and_only_comments_on_the_brands_media():
    assert moderation_actions("instagram") == frozenset({"hide", "unhide", "delete"})
    assert why_not_moderated(ACCOUNT, StoredPost("comment", "1780", conversation_ref="1790")) is None
    assert why_not_moderated(ACCOUNT, StoredPost("reply", "1781", conversation_ref="1790")) is None
    assert "not on the brand's own" in why_not_moderated(ACCOUNT, StoredPost("comment", "1782",
                                                                             conversation_ref="mention_1790"))
    assert "cannot be moderated" in why_not_moderated(ACCOUNT, StoredPost("post", "mention_1790",
                                                                          conversation_ref="mention_1790"))
