"""Hiding an abusive comment under the brand's Facebook page post from its
ticket in a real browser (Playwright driving Debian's Chromium): the
emulator shows it hidden, and Unhide takes it back."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from connectors.facebook.emulator import PAGE_ID
from tests.e2e.conftest import wait_for
from tests.e2e.test_browser import service, sign_in, wait_for_inbox_row  # noqa: F401 (fixtures)

ABUSE = "You are all thieves and idiots, worst company ever"


def facebook(emulator, body) -> str:
    response = requests.post(f"{emulator.url}/_emulator/facebook/posts", json=body, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def hidden_on_facebook(emulator, comment_id) -> bool:
    posts = requests.get(f"{emulator.url}/_emulator/facebook/posts", timeout=5).json()["posts"]
    return next(p for p in posts if p["id"] == comment_id)["hidden"]


def test_an_agent_hides_an_abusive_comment_and_undoes_it(page, service, emulator):
    post = facebook(emulator, {"kind": "post", "author": {"id": PAGE_ID}, "text": "Our winter sale starts today"})
    comment = facebook(emulator, {"kind": "comment", "author": {"name": "Rex Angry"}, "text": ABUSE,
                                  "in_reply_to": post})
    sign_in(page, service)
    wait_for_inbox_row(page, service, "thieves and idiots")
    page.get_by_text("thieves and idiots").first.click()
    page.wait_for_url(f"{service}/tickets/*")
    ticket_url = page.url
    moderation = page.locator("li.message.post", has_text="thieves and idiots").locator(".moderation")
    expect(moderation.get_by_role("button", name="Hide the comment by Rex Angry")).to_be_visible()
    expect(moderation.get_by_text("Delete…")).to_have_count(0)

    moderation.get_by_label("Reason").fill("abusive")
    moderation.get_by_role("button", name="Hide the comment by Rex Angry").click()
    expect(page.locator("#pane .notice.success")).to_contain_text("Hiding the comment on Facebook")

    wait_for(lambda: hidden_on_facebook(emulator, comment), every=0.2)

    def shown_as_hidden():
        """the ticket page saying who hid the comment and why"""
        page.goto(ticket_url)
        return "Hidden by Alex Agent at" in page.locator(".moderation-state").inner_text()
    wait_for(shown_as_hidden, every=0.5)
    expect(page.locator(".moderation-state")).to_contain_text(": abusive")

    page.get_by_role("button", name="Unhide the comment by Rex Angry").click()
    expect(page.locator("#pane .notice.success")).to_contain_text("Unhiding the comment on Facebook")
    wait_for(lambda: not hidden_on_facebook(emulator, comment), every=0.2)
