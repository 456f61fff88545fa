"""Photos and videos enclosed with reviews: JSON Feed `image` and
`attachments`, RSS and Atom enclosures; other files are left out."""

from pathlib import Path

import requests

from connectors.base import Media
from connectors.reviews.parse import parse_document

FIXTURES = Path(__file__).resolve().parents[3] / "connectors" / "reviews" / "fixtures"
STORE = "https://store.example.com/media/js-7810/"


def test_a_json_feeds_image_and_attachments_are_read_and_a_pdf_is_not():
    [review], _ = parse_document((FIXTURES / "reviews_with_photos.json").read_bytes(),
                                 "https://store.example.com/acme/reviews.json", "application/feed+json")

    assert review.media == (
        Media(url=STORE + "cover.jpg", kind="image"),
        Media(url=STORE + "crack.jpg", kind="image", alt_text="A crack across the glass lid", size_bytes=48211),
        Media(url=STORE + "unboxing.mp4", kind="video", size_bytes=9120000),
    )


def test_an_rss_enclosure_is_read_against_the_feeds_address():
    [review], _ = parse_document((FIXTURES / "reviews_with_photos.rss").read_bytes(),
                                 "https://reviews.example.net/acme/feed.xml", "application/rss+xml")

    assert review.media == (Media(url="https://reviews.example.net/photos/5501.png", kind="image",
                                  size_bytes=20480),)


def test_the_emulators_feeds_enclose_the_reviews_photos(emulator):
    from connectors.reviews.connector import ReviewFeedConnector

    requests.post(f"{emulator.url}/_emulator/reviews/posts", timeout=5, json={
        "author": {"name": "Rook Vance"}, "rating": 2, "text": "Dented lid",
        "media": [{"file": "lid.png", "alt_text": "the dent"}, {"type": "photo"}],
    }).raise_for_status()
    connector = ReviewFeedConnector(timeout=5)

    for feed in ("feed.xml", "feed.atom", "feed.json"):
        [review] = connector.fetch("feed", f"{emulator.url}/reviews/{feed}", None).posts
        [photo] = review.media
        assert (photo.url, photo.kind) == (f"{emulator.url}/_emulator/media/lid.png", "image"), feed
        assert photo.size_bytes == len(requests.get(photo.url, timeout=5).content)
