"""Photos and videos of Reddit posts: gallery items in order, hosted
videos with their still, uploaded images; link previews left out."""

import json
from pathlib import Path

from connectors.base import Media
from connectors.reddit.parse import listing_children, parse_thing

FIXTURES = Path(__file__).resolve().parents[3] / "connectors" / "reddit" / "fixtures"


def posts() -> list:
    page = json.loads((FIXTURES / "posts_with_media.json").read_text(encoding="utf-8"))
    return [parse_thing(child, "acme") for child in listing_children(page)[0]]


def test_each_kind_of_post_brings_its_own_photos_and_videos():
    gallery, video, image, link, processing = posts()

    assert gallery.media == (
        Media(url="https://preview.redd.it/k1a2b3.jpg?width=1080&format=pjpg&auto=webp&s=1f2e", kind="image",
              alt_text="Rust inside the spout", width=1080, height=1440),
        Media(url="https://i.redd.it/k4d5e6.gif", kind="gif", width=400, height=300),
    )
    assert video.media == (Media(url="https://v.redd.it/vz81q0/DASH_720.mp4?source=fallback", kind="video",
                                 width=720, height=1280,
                                 preview_url="https://external-preview.redd.it/vz81q0.png?format=pjpg&s=77aa"),)
    assert image.media == (Media(url="https://i.redd.it/b0x9q2.jpeg", kind="image", width=3024, height=4032),)
    assert link.media == () and processing.media == ()


def test_the_connector_reads_the_emulators_gallery_video_and_image(emulator):
    from tests.connectors.reddit.test_connector import add, connector_for

    add(emulator, "post", "kettle gallery", subreddit="acme",
        media=[{"file": "a.png", "alt_text": "the spout"}, {"type": "photo"}, {"file": "b.png"}])
    add(emulator, "post", "kettle video", subreddit="acme",
        media=[{"type": "video", "file": "v.mp4", "preview": "v.png"}])
    add(emulator, "post", "kettle photo", subreddit="acme", media=[{"file": "c.png", "width": 96, "height": 64}])

    gallery, video, image = connector_for(emulator).fetch("search", "acme", None, "kettle").posts

    files = f"{emulator.url}/_emulator/media/"
    assert gallery.media == (Media(url=files + "a.png", kind="image", alt_text="the spout", width=96, height=64),
                             Media(url=files + "b.png", kind="image", width=96, height=64))
    assert video.media == (Media(url=files + "v.mp4", kind="video", width=96, height=64, preview_url=files + "v.png"),)
    assert image.media == (Media(url=files + "c.png", kind="image", width=96, height=64),)
