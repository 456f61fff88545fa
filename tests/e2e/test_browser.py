"""The loop as an agent works it, in a real browser (Playwright driving
Debian's Chromium)."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from config import FrozenClock
from store.models import CannedResponse
from tests.e2e.conftest import wait_for

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
CANNED = "Sorry {first_name}! Your parcel is on its way and arrives tomorrow. {agent_name}"


@pytest.fixture
def service(sqlite_db, emulator, start_service):
    with sqlite_db.transaction() as session:
        session.add(CannedResponse(title="Apology for a late parcel", body=CANNED, created_by="lead@example.com",
                                   created_at=FrozenClock().now(), updated_at=FrozenClock().now()))
    return start_service(sqlite_db, emulator)


def customer_posts(emulator, text, handle="maria_k"):
    response = requests.post(f"{emulator.url}/_emulator/x/posts", timeout=5, json={
        "author": {"handle": handle, "name": "Maria K.", "followers": 310}, "text": text})
    assert response.status_code == 201
    return response.json()["id"]


def sign_in(page, service):
    page.goto(f"{service}/inbox")
    page.fill("input[name=email]", "agent@example.com")
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{service}/inbox**")


def wait_until_sent(page, ticket_url):
    def delivered():
        """the reply shown as sent"""
        page.goto(ticket_url)
        return page.locator(".delivery.sent").count() == 1
    wait_for(delivered, every=0.5)


def brand_replies(emulator) -> list[tuple[str, str]]:
    posts = requests.get(f"{emulator.url}/_emulator/x/posts", timeout=5).json()["posts"]
    return [(p["in_reply_to"], p["text"]) for p in posts if p["by_brand"]]


def wait_for_inbox_row(page, service, text):
    def row_shows_up():
        """the post in the inbox"""
        page.goto(f"{service}/inbox")
        return page.get_by_text(text, exact=False).count() > 0
    wait_for(row_shows_up, every=0.5)


def test_an_agent_answers_a_complaint_from_the_inbox(page, service, emulator):
    complaint = "My order still hasn't arrived after two weeks. Terrible service."
    post_id = customer_posts(emulator, complaint)
    sign_in(page, service)
    wait_for_inbox_row(page, service, "still hasn't arrived")

    page.get_by_text("still hasn't arrived").first.click()
    page.wait_for_url(f"{service}/tickets/*")
    assert page.get_by_text("negative", exact=True).count() > 0
    reply = "Sorry Maria! Your parcel is on its way and will be with you tomorrow."
    page.fill("textarea[name=body]", reply)
    ticket_url = page.url
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#pane .notice.success")).to_contain_text("Reply queued")

    wait_until_sent(page, ticket_url)
    assert brand_replies(emulator) == [(post_id, reply)]

    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("h1 .status")).to_have_text("resolved")


def test_a_hostile_post_shows_as_text_and_runs_nothing(page, service, emulator):
    customer_posts(emulator, f"Why is my refund late? {HOSTILE}", handle="mallory")
    sign_in(page, service)
    wait_for_inbox_row(page, service, "Why is my refund late?")
    assert page.get_by_text("<script>alert(1)</script>", exact=False).count() > 0

    page.get_by_text("Why is my refund late?").first.click()
    page.wait_for_url(f"{service}/tickets/*")
    assert page.get_by_text("onerror=alert(2)", exact=False).count() > 0
    assert page.dialogs == []
    assert page.locator("img[src=x]").count() == 0


def refresh_inbox_until_a_ticket_shows(page):
    """Move the page's clock on to the inbox's next refresh (every 10 s)
    until one brings a ticket, instead of waiting for it."""
    def refresh_brings_a_ticket():
        """an inbox refresh that brings a ticket"""
        with page.expect_response(lambda response: response.request.resource_type == "fetch") as refreshed:
            page.clock.fast_forward(10_000)
        return refreshed.value.status == 200 and refreshed.value.json()["ids"]
    wait_for(refresh_brings_a_ticket, every=0.2)


def test_a_new_ticket_shows_up_live_and_is_worked_from_the_keyboard(page, service, emulator):
    page.clock.install()
    sign_in(page, service)
    page.goto(f"{service}/inbox")
    expect(page.locator("#ticket-count")).to_have_text("0")

    post_id = customer_posts(emulator, "Where is my parcel? It still hasn't arrived after ten days.")
    row = page.locator("#inbox-rows tr", has_text="still hasn't arrived")
    refresh_inbox_until_a_ticket_shows(page)
    expect(row).to_be_visible()
    expect(row).to_have_class(re.compile("fresh"))
    expect(page).to_have_title(re.compile(r"^\(1 new\) Inbox"))

    page.keyboard.press("j")
    expect(row).to_have_class(re.compile("current"))
    page.wait_for_url(f"{service}/tickets/*")
    ticket_url = page.url
    page.keyboard.press("Enter")
    expect(page.locator("#reply-body")).to_be_focused()
    page.select_option("#canned-pick", label="Apology for a late parcel")
    reply = "Sorry Maria! Your parcel is on its way and arrives tomorrow. Alex"
    expect(page.locator("#reply-body")).to_have_value(reply)
    expect(page.locator("#reply-preview")).to_have_text(reply)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#pane .notice.success")).to_contain_text("Reply queued")

    wait_until_sent(page, ticket_url)
    assert brand_replies(emulator) == [(post_id, reply)]

    page.keyboard.press("e")
    expect(page.locator("h1 .status")).to_have_text("resolved")


def test_an_agent_is_refused_an_admin_page(page, service):
    sign_in(page, service)
    response = page.goto(f"{service}/admin/audit")
    assert response.status == 403
    expect(page.locator("main")).to_contain_text("admin")
    assert page.get_by_role("link", name="Audit").count() == 0


def test_the_pages_break_no_rule_of_their_content_security_policy(page, service):
    broken = []
    page.on("console", lambda message: broken.append(message.text) if "Content Security Policy" in message.text
            else None)
    failed = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    sign_in(page, service)
    for path in ("/inbox", "/mentions", "/incidents", "/account"):
        page.goto(f"{service}{path}")
    assert (broken, failed) == ([], [])
