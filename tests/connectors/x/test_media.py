"""Photos, videos and GIFs of X posts: joined from includes.media by
media_key, asked for by the connector, served by the emulator."""

import json
from pathlib import Path

import requests

from connectors.base import Media
from connectors.x.parse import batch_from_pages
from tests.connectors.x.test_connector import connector_for

FIXTURES = Path(__file__).resolve().parents[3] / "connectors" / "x" / "fixtures"


def test_a_posts_photo_video_and_gif_are_joined_from_the_includes_in_order():
    page = json.loads((FIXTURES / "page_with_media.json").read_text(encoding="utf-8"))
    first, second = batch_from_pages([page], None, "1600000000000000001").posts

    assert first.media == (
        Media(url="https://pbs.twimg.com/media/GfQ1aXbWcAA7zQk.jpg", kind="image",
              alt_text="A cardboard box crushed at one corner", width=1536, height=2048),
        Media(url="", kind="video", width=720, height=1280,
              preview_url="https://pbs.twimg.com/ext_tw_video_thumb/1900000000000000211/pu/img/Zt3n0hJq.jpg"),
        Media(url="", kind="gif", width=498, height=280,
              preview_url="https://pbs.twimg.com/tweet_video_thumb/GfQ1bYcXAAA2kPq.jpg"),
    )
    assert second.media == ()


def test_the_connector_asks_for_media_and_gets_the_emulators_files(emulator):
    requests.post(f"{emulator.url}/_emulator/x/posts", timeout=5, json={
        "author": {"handle": "maple_rider", "name": "Maple Rider"}, "text": "look at this box",
        "media": [{"type": "photo", "file": "box.png", "alt_text": "a crushed box", "width": 96, "height": 64},
                  {"type": "video", "preview": "clip.png"}, {"type": "photo"}, {"type": "hologram", "file": "h.png"}],
    }).raise_for_status()

    [post] = connector_for(emulator).fetch("mentions", "", None).posts

    assert post.media == (
        Media(url=f"{emulator.url}/_emulator/media/box.png", kind="image", alt_text="a crushed box", width=96,
              height=64),
        Media(url="", kind="video", preview_url=f"{emulator.url}/_emulator/media/clip.png"),
    )
    picture = requests.get(post.media[0].url, timeout=5)
    assert picture.headers["Content-Type"] == "image/png" and picture.content.startswith(b"\x89PNG")


def test_a_direct_messages_photo_is_read_with_it(emulator):
    requests.post(f"{emulator.url}/_emulator/x/direct_messages", timeout=5, json={
        "author": {"handle": "maple_rider", "name": "Maple Rider"}, "text": "the label on my parcel",
        "media": [{"type": "photo", "file": "label.png", "alt_text": "a torn label"}],
    }).raise_for_status()

    [message] = connector_for(emulator).fetch("direct_messages", "", None).posts

    assert message.media == (Media(url=f"{emulator.url}/_emulator/media/label.png", kind="image",
                                   alt_text="a torn label"),)
