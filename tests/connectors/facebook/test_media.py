"""Photos and videos of Facebook posts (`attachments`, albums through
`subattachments`), comments (one `attachment`) and webhook changes."""

import json
from pathlib import Path

import requests

from connectors.base import Media
from connectors.facebook.parse import parse_comment, parse_feed_change, parse_post
from tests.connectors.facebook.test_connector import PAGE_ID, add, add_by_page, connector_for

FIXTURES = Path(__file__).resolve().parents[3] / "connectors" / "facebook" / "fixtures"
CDN = "https://scontent-arn2-1.xx.fbcdn.net/v/"


def recorded() -> dict:
    return json.loads((FIXTURES / "media_attachments.json").read_text(encoding="utf-8"))


def test_a_posts_album_photos_and_video_are_read_and_a_shared_link_is_not():
    post = parse_post(recorded()["feed"]["data"][0], "108800000000001")

    assert post.media == (
        Media(url=CDN + "t39.30808-6/4711_n.jpg", kind="image", alt_text="The dent on the left side", width=720,
              height=960),
        Media(url=CDN + "t39.30808-6/4712_n.jpg", kind="image", width=720, height=540),
        Media(url="https://video-arn2-1.xx.fbcdn.net/v/t42.1790-2/90001_n.mp4", kind="video",
              preview_url=CDN + "t15.5256-10/90001_n.jpg"),
    )


def test_a_comments_photo_is_read_and_a_sticker_or_a_video_without_address_is_not():
    photo, sticker, lost = (parse_comment(raw, "122110000000000410", "108800000000001")
                            for raw in recorded()["comments"]["data"])

    assert photo.media == (Media(url=CDN + "t39.30808-6/5001_n.jpg", kind="image", width=540, height=720),)
    assert sticker.media == () and lost.media == ()


def test_a_webhook_change_brings_its_photos():
    change = {"item": "photo", "verb": "add", "post_id": "108800000000001_9", "created_time": 1767866400,
              "from": {"id": "7003000000000301", "name": "Marta"}, "message": "look",
              "photos": [CDN + "a.jpg", CDN + "b.jpg"]}

    post = parse_feed_change(change, "108800000000001")

    assert [m.url for m in post.media] == [CDN + "a.jpg", CDN + "b.jpg"]


def test_the_connector_reads_the_emulators_attachments_and_the_files_are_served(emulator):
    post = add_by_page(emulator, "Show us your kettle")
    add(emulator, "here it is", kind="comment", in_reply_to=post,
        media=[{"type": "photo", "file": "kettle.png", "alt_text": "a kettle", "width": 96, "height": 64}])
    add(emulator, "and the noise", kind="comment", in_reply_to=post,
        media=[{"type": "video_inline", "file": "noise.mp4", "preview": "noise.png"}])
    add(emulator, "no picture after all", kind="comment", in_reply_to=post, media=[{"type": "photo"}])

    photo, video, nothing = connector_for(emulator).fetch("comments", PAGE_ID, None).posts

    media = f"{emulator.url}/_emulator/media/"
    assert photo.media == (Media(url=media + "kettle.png", kind="image", alt_text="a kettle", width=96, height=64),)
    assert video.media == (Media(url=media + "noise.mp4", kind="video", preview_url=media + "noise.png"),)
    assert nothing.media == ()
    assert requests.get(video.media[0].url, timeout=5).headers["Content-Type"] == "video/mp4"
