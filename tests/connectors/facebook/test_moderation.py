"""Moderating comments on the page's posts through facebook-sdk against the emulator."""

import pytest

from config.settings import AccountSettings
from connectors.base import ConnectorError
from connectors.moderation import CommentState, StoredPost
from tests.connectors.emulated import add_fault, api_calls, listed
from tests.connectors.facebook.test_connector import PAGE_ID, add, add_by_page, connector_for

ACCOUNT = AccountSettings(platform="facebook", page_id=PAGE_ID, page_access_token="token")


def comment_under_page_post(server) -> str:
    post = add_by_page(server, "Our autumn menu is here")
    return add(server, "You are all idiots and thieves", kind="comment", in_reply_to=post)


def shown(server, comment_id) -> dict:
    return next(p for p in listed(server, "facebook") if p["id"] == comment_id)


def test_it_hides_and_unhides_a_comment_and_the_platform_shows_it(emulator):
    comment = comment_under_page_post(emulator)
    connector = connector_for(emulator)

    connector.moderate("hide", comment)
    assert shown(emulator, comment)["hidden"] is True
    assert connector.comment_state(comment) == CommentState(exists=True, hidden=True, liked=False)
    call = api_calls(emulator, "facebook", f"/{comment}", method="POST")[-1]
    assert call["params"] == {"is_hidden": "true"}

    connector.moderate("unhide", comment)
    assert shown(emulator, comment)["hidden"] is False
    assert connector.comment_state(comment).hidden is False


def test_it_likes_and_unlikes_a_comment_as_the_page(emulator):
    comment = comment_under_page_post(emulator)
    connector = connector_for(emulator)

    connector.moderate("like", comment)
    assert shown(emulator, comment)["liked"] is True
    assert connector.comment_state(comment).liked is True
    connector.moderate("unlike", comment)
    assert connector.comment_state(comment).liked is False
    assert [c["method"] for c in api_calls(emulator, "facebook", f"/{comment}/likes")] == ["POST", "DELETE"]


def test_it_deletes_a_comment_and_then_finds_it_gone(emulator):
    comment = comment_under_page_post(emulator)
    connector = connector_for(emulator)

    connector.moderate("delete", comment)

    assert comment not in [p["id"] for p in listed(emulator, "facebook")]
    assert connector.comment_state(comment) == CommentState(exists=False)
    assert CommentState(exists=False).shows_done("delete") is True


def test_a_comment_not_on_the_pages_post_is_refused_with_graphs_permissions_error(emulator):
    review = add(emulator, "Great place", kind="review", rating=5)
    comment = add(emulator, "Agreed!", kind="comment", in_reply_to=review)

    with pytest.raises(ConnectorError) as refused:
        connector_for(emulator).moderate("hide", comment)

    assert refused.value.permanent and "code 200" in refused.value.message
    assert "pages_manage_engagement" in refused.value.message


def test_the_pages_own_comment_cannot_be_hidden(emulator):
    post = add_by_page(emulator, "Our autumn menu is here")
    answer = add(emulator, "Thanks!", kind="comment", in_reply_to=post, author={"id": PAGE_ID})

    with pytest.raises(ConnectorError) as refused:
        connector_for(emulator).moderate("hide", answer)

    assert refused.value.permanent and "code 100" in refused.value.message
    assert shown(emulator, answer)["hidden"] is False


def test_a_token_without_the_permission_fails_permanently_and_hides_nothing(emulator):
    comment = comment_under_page_post(emulator)
    add_fault(emulator, "facebook", status=403)

    with pytest.raises(ConnectorError) as refused:
        connector_for(emulator).moderate("hide", comment)

    assert refused.value.permanent and refused.value.status == 403
    assert shown(emulator, comment)["hidden"] is False


@pytest.mark.parametrize("post, allowed", [
    (StoredPost("comment", "2000001_3000001", conversation_ref=f"{PAGE_ID}_2000001"), True),
    (StoredPost("reply", "2000001_3000002", conversation_ref=f"{PAGE_ID}_2000001"), True),
    (StoredPost("post", f"{PAGE_ID}_2000001", conversation_ref=f"{PAGE_ID}_2000001"), False),
    (StoredPost("comment", "4000001_3000003", conversation_ref="4000001"), False),
    (StoredPost("comment", "999_1", conversation_ref="999_2000001"), False),
])
def test_only_comments_on_the_pages_posts_can_be_moderated(post, allowed):
    from connectors.registry import why_not_moderated

    assert (why_not_moderated(ACCOUNT, post) is None) is allowed
