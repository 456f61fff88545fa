import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.base import MalformedPayload
from connectors.x.messages import messages_batch, parse_message_event, reaches

FIXTURES = Path(__file__).resolve().parents[3] / "connectors" / "x" / "fixtures"
BRAND_ID = "1600000000000000001"


def page() -> dict:
    return json.loads((FIXTURES / "direct_message_events_page.json").read_text(encoding="utf-8"))


def users() -> dict:
    return {u["id"]: u for u in page()["includes"]["users"]}


def test_it_parses_a_customers_message_with_its_sender():
    post = parse_message_event(page()["data"][0], users(), BRAND_ID)

    assert (post.platform, post.external_id, post.kind) == ("x", "1900000000000000420", "direct_message")
    assert post.text == "yes thanks, all sorted"
    assert post.conversation_id == "1600000000000000001-1600000000000000007"
    assert post.url == "https://x.com/messages/1600000000000000001-1600000000000000007"
    assert (post.author.platform_user_id, post.author.handle, post.author.name, post.author.followers) == (
        "1600000000000000007", "danafox", "Dana Fox", 41)
    assert post.created_at == datetime(2026, 1, 6, 9, 30, tzinfo=timezone.utc)
    assert post.by_brand is False
    assert post.in_reply_to is None


def test_the_brands_own_message_is_marked_as_the_brands():
    assert parse_message_event(page()["data"][1], users(), BRAND_ID).by_brand is True


@pytest.mark.parametrize("index, reason", [(2, "not a message"), (3, "not in includes.users")])
def test_it_refuses_an_event_that_is_not_a_readable_message(index, reason):
    with pytest.raises(MalformedPayload, match=reason):
        parse_message_event(page()["data"][index], users(), BRAND_ID)


def test_a_batch_is_oldest_first_skips_what_it_cannot_read_and_moves_the_cursor_past_it():
    batch = messages_batch([page()], None, BRAND_ID)

    assert [p.external_id for p in batch.posts] == ["1900000000000000415", "1900000000000000418",
                                                    "1900000000000000420"]
    assert len(batch.skipped) == 2
    assert batch.cursor == "1900000000000000420"


def test_a_batch_leaves_out_what_the_cursor_has_seen():
    batch = messages_batch([page()], "1900000000000000417", BRAND_ID)

    assert [p.external_id for p in batch.posts] == ["1900000000000000418", "1900000000000000420"]
    assert batch.skipped == []


def test_a_page_reaches_the_cursor_when_it_holds_an_event_at_or_below_it():
    assert reaches(page(), "1900000000000000415")
    assert not reaches(page(), "1900000000000000414")
    assert not reaches(page(), None)
