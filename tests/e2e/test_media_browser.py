"""A customer's photo in the browser: a thumbnail in the conversation,
loaded through the media proxy, that opens larger in a dialog; a file the
proxy refuses shows why."""

from __future__ import annotations

import requests

from tests.e2e.conftest import wait_for
from tests.e2e.test_browser import service, sign_in  # noqa: F401 (fixtures)

MEDIA = [
    {"type": "photo", "file": "crushed-box.png", "alt_text": "A parcel crushed at one corner", "width": 96,
     "height": 64},
    {"type": "video", "preview": "unboxing.png"},
    {"type": "photo", "file": "not-a-picture.html"},
]


def post_with_photos(emulator) -> str:
    response = requests.post(f"{emulator.url}/_emulator/x/posts", timeout=5, json={
        "author": {"handle": "maria_k", "name": "Maria K.", "followers": 310},
        "text": "@acme this is how my order arrived, broken and late", "media": MEDIA})
    assert response.status_code == 201
    return response.json()["id"]


def open_ticket(page, service) -> None:
    def ticket_listed():
        """a ticket in the inbox"""
        page.goto(f"{service}/inbox?view=all")
        link = page.locator("a[href^='/tickets/']").first
        return link.get_attribute("href") if link.count() else None
    page.goto(service + wait_for(ticket_listed, every=0.5))


def loaded(image) -> bool:
    return image.evaluate("img => img.complete && img.naturalWidth > 0")


def test_a_photo_shows_as_a_thumbnail_and_opens_larger(page, service, emulator):
    post_with_photos(emulator)
    sign_in(page, service)
    open_ticket(page, service)

    thumbnail = page.get_by_role("img", name="A parcel crushed at one corner")
    thumbnail.wait_for()
    assert thumbnail.get_attribute("src").startswith("/media/")
    wait_for(lambda: loaded(thumbnail))
    assert page.get_by_text("▶ play on X").is_visible()
    page.get_by_text("not shown: type text/html is not shown").wait_for()

    thumbnail.click()
    larger = page.locator("dialog.media-view img")
    larger.wait_for()
    wait_for(lambda: loaded(larger))
    assert larger.get_attribute("alt") == "A parcel crushed at one corner"
    assert page.locator("dialog.media-view").evaluate("d => d.open")
    page.get_by_role("button", name="Close").click()
    assert not page.locator("dialog.media-view").evaluate("d => d.open")
