"""XConnector.check_access: who the tokens are, and for the source kinds
that need more than the identity call shows (recent search's access tier,
direct messages' app permission), what X says is missing, over recorded
answers in X's documented shapes."""

import pytest

from connectors.base import ConnectorError
from connectors.x.connector import XConnector
from tests.connectors import emulated

OAUTH = {"consumer_key": "key", "consumer_secret": "secret", "access_token": "1-token", "access_token_secret": "ts"}
ME = {"data": {"id": "123", "username": "acme_support", "name": "Acme Support"}}
NOT_ENROLLED = {"title": "Client Forbidden", "type": "https://api.twitter.com/2/problems/client-forbidden",
                "reason": "client-not-enrolled", "required_enrollment": "Appropriate Level of API Access",
                "detail": "You currently have access to a subset of X API V2 endpoints and limited v1.1 endpoints "
                          "only.", "status": 403}
NO_DM_PERMISSION = {"title": "Forbidden", "type": "https://api.twitter.com/2/problems/oauth1-permissions",
                    "detail": "Your client app is not configured with the appropriate oauth1 app permissions for "
                              "this endpoint.", "status": 403}
APP_ONLY = {"title": "Unsupported Authentication",
            "type": "https://api.twitter.com/2/problems/unsupported-authentication", "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.", "status": 403}


def answering(connector: XConnector, refusal: dict, **also) -> XConnector:
    return emulated.replaying(connector, 403, refusal, also=also)


def test_mentions_need_only_the_identity_call():
    connector = answering(XConnector(**OAUTH), NOT_ENROLLED, **{"/2/users/me": ME})
    check = connector.check_access("mentions", "")
    assert (check.identity, check.ok, check.detail) == ("@acme_support (id 123)", True, "mentions readable")


def test_search_without_the_access_tier_names_the_tier():
    check = answering(XConnector(**OAUTH), NOT_ENROLLED, **{"/2/users/me": ME}).check_access("search", "kettle")
    assert check.identity == "@acme_support (id 123)" and not check.ok
    assert "X refused searching recent posts (403 Forbidden)" in check.detail
    assert "need the Basic tier or above" in check.detail


def test_direct_messages_without_the_app_permission_say_which_setting():
    check = answering(XConnector(**OAUTH), NO_DM_PERMISSION, **{"/2/users/me": ME}).check_access("direct_messages", "")
    assert not check.ok
    assert "set 'Read and write and Direct message'" in check.detail
    assert "generate the access token and secret again" in check.detail


def test_a_bearer_token_alone_is_looked_up_by_user_id():
    connector = answering(XConnector(bearer_token="app-only", user_id="123"), APP_ONLY, **{"/2/users/123": ME})
    assert connector.check_access("mentions", "").identity == "@acme_support (id 123)"
    refused = answering(XConnector(bearer_token="app-only", user_id="123"), APP_ONLY, **{"/2/users/123": ME})
    check = refused.check_access("direct_messages", "")
    assert not check.ok and "OAuth 1.0a keys" in check.detail


def test_a_bearer_token_without_user_id_is_told_to_set_it():
    with pytest.raises(ConnectorError) as caught:
        XConnector(bearer_token="app-only").check_access("mentions", "")
    assert caught.value.status == 403 and "set its user_id" in caught.value.message
