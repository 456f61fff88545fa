"""Instagram Graph objects and webhook deliveries as InboundPosts, from
recorded payloads in the documented shapes, odd cases included."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.base import MalformedPayload, Media
from connectors.facebook.messages import parse_message
from connectors.instagram.parse import (instagram_batch, mention_target, parse_comment, parse_mentioned_comment,
                                        parse_tagged_media)
from connectors.instagram.webhook import mentions_of, parse_webhook, source_kind_of

FIXTURES = Path(__file__).resolve().parents[3] / "connectors" / "instagram" / "fixtures"
IG_USER_ID = "17841400000000001"
MEDIA = {"id": "17918195224117851", "permalink": "https://www.instagram.com/p/C1aBcDeFgHi/"}


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def comments_batch():
    def items():
        for raw in fixture("comments_page.json")["data"]:
            yield raw, lambda r: parse_comment(r, MEDIA, IG_USER_ID, "acme")
            for reply in raw.get("replies", {}).get("data", []):
                yield reply, lambda r, parent=raw["id"]: parse_comment(r, MEDIA, IG_USER_ID, "acme", parent)

    return instagram_batch(items(), None)


def test_a_comment_is_a_comment_on_its_media_by_its_author():
    batch = comments_batch()
    lena = next(p for p in batch.posts if p.external_id == "17870913679156914")

    assert (lena.platform, lena.kind, lena.in_reply_to, lena.conversation_id) == (
        "instagram", "comment", MEDIA["id"], MEDIA["id"])
    assert (lena.author.platform_user_id, lena.author.handle) == ("17841405309211844", "lena_travels")
    assert lena.created_at == datetime(2026, 1, 7, 8, 40, 12, tzinfo=timezone.utc)
    assert lena.url == MEDIA["permalink"]


def test_a_reply_answers_its_comment_and_the_brands_own_is_marked():
    by_id = {p.external_id: p for p in comments_batch().posts}

    assert (by_id["17881770991003328"].kind, by_id["17881770991003328"].in_reply_to) == ("reply", "17870913679156914")
    assert by_id["17881770991003329"].by_brand is True
    assert by_id["17881770991003328"].by_brand is False


def test_a_comment_without_from_is_known_by_its_username():
    priya = next(p for p in comments_batch().posts if p.external_id == "17870913679156915")

    assert (priya.author.platform_user_id, priya.author.handle) == ("username:priya_reads", "priya_reads")


def test_a_comment_without_any_author_or_time_is_skipped_with_the_reason():
    batch = comments_batch()

    reasons = sorted(s.reason for s in batch.skipped)
    assert len(batch.posts) == 4
    assert reasons == ["comment 17870913679156916 has neither from nor username (the token may lack "
                       "instagram_manage_comments)", "comment 17870913679156917 has no valid timestamp: 'not a time'"]
    assert batch.cursor == str(int(datetime(2026, 1, 7, 9, 10, tzinfo=timezone.utc).timestamp()))


def test_a_tagged_carousel_carries_each_photo_and_video_and_is_answered_as_a_mention():
    carousel, video_without_url, no_username = fixture("tags_page.json")["data"]
    post = parse_tagged_media(carousel, IG_USER_ID)

    assert (post.external_id, post.kind, post.author.handle) == ("mention_17987654321098765", "post", "tom_builds")
    assert post.media == (
        Media(url="https://scontent.cdninstagram.com/v/t51.29350-15/dent_1.jpg", kind="image"),
        Media(url="https://scontent.cdninstagram.com/o1/v/t16/dent_2.mp4", kind="video",
              preview_url="https://scontent.cdninstagram.com/v/t51.29350-15/dent_2_thumb.jpg"))
    assert mention_target(post.external_id) == ("17987654321098765", None)
    assert parse_tagged_media(video_without_url, IG_USER_ID).media == ()
    assert parse_tagged_media(video_without_url, IG_USER_ID).text == ""
    with pytest.raises(MalformedPayload, match="neither from nor username"):
        parse_tagged_media(no_username, IG_USER_ID)


def test_a_mentioned_comment_is_answered_through_its_media_and_comment():
    post = parse_mentioned_comment({"id": "1788", "text": "@acme help", "timestamp": "2026-01-08T12:00:00+0000",
                                    "username": "wren"}, "1798")

    assert post.external_id == "mention_1798_1788"
    assert mention_target(post.external_id) == ("1798", "1788")
    assert mention_target("17870913679156914") is None


def test_direct_messages_carry_their_attachments_and_the_customers_conversation():
    raw = fixture("messages_page.json")["data"]
    ours, photo, video, no_sender = raw

    sent = parse_message(ours, "instagram", IG_USER_ID)
    assert (sent.by_brand, sent.conversation_id) == (True, "6872319042837491")
    with_photo = parse_message(photo, "instagram", IG_USER_ID)
    assert (with_photo.kind, with_photo.author.handle, with_photo.conversation_id) == (
        "direct_message", "noor_a", "6872319042837491")
    assert with_photo.media[0].kind == "image" and with_photo.media[0].width == 1080
    assert parse_message(video, "instagram", IG_USER_ID).media[0].preview_url.endswith("preview=1")
    with pytest.raises(MalformedPayload, match="has no from with an id"):
        parse_message(no_sender, "instagram", IG_USER_ID)


def test_a_webhook_delivery_gives_comments_and_messages_and_names_its_mentions():
    delivery = fixture("webhook_delivery.json")

    posts, skipped = parse_webhook(delivery, IG_USER_ID)

    assert [(p.kind, p.by_brand) for p in posts] == [("reply", False), ("direct_message", False),
                                                     ("direct_message", True)]
    reply, message, echo = posts
    assert reply.created_at == datetime.fromtimestamp(1767862800, timezone.utc)
    assert reply.in_reply_to == "17870913679156914"
    assert message.media == (Media(url="https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=17961234569"
                                       "&signature=GhI", kind="image"),)
    assert echo.conversation_id == "6872319042837491"
    assert [source_kind_of(p) for p in posts] == ["comments", "messages", "messages"]
    assert skipped == []
    assert mentions_of(delivery, IG_USER_ID) == [("17987654321098765", "17887498072083520"),
                                                 ("17987654321098771", None)]


def test_a_webhook_entry_for_another_account_is_skipped_and_a_page_delivery_refused():
    delivery = fixture("webhook_delivery.json")
    delivery["entry"][0]["id"] = "17841499999999999"

    posts, skipped = parse_webhook(delivery, IG_USER_ID)

    assert posts == [] and "not 17841400000000001" in skipped[0].reason
    with pytest.raises(MalformedPayload, match="not an Instagram webhook delivery"):
        parse_webhook({"object": "page", "entry": []}, IG_USER_ID)


def test_a_comment_shows_the_photo_of_the_post_it_is_on_and_a_reply_does_not():
    photo = {**MEDIA, "media_type": "IMAGE", "media_url": "https://scontent.cdninstagram.com/v/photo.jpg"}
    raw = fixture("comments_page.json")["data"][0]

    comment = parse_comment(raw, photo, IG_USER_ID, "acme")
    reply = parse_comment(raw, photo, IG_USER_ID, "acme", parent_id="17870913679156999")

    assert comment.media == (Media(url=photo["media_url"], kind="image",
                                   alt_text="the brand's post this comment is on"),)
    assert reply.media == ()
    assert parse_comment(raw, MEDIA, IG_USER_ID, "acme").media == ()
