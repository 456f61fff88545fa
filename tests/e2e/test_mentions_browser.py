"""The mentions stream as an agent works it, in a real browser: a post the
scorer let pass is taken into a ticket with one key, and then reads as
needing a response, taken by the agent."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import wait_for
from tests.e2e.test_browser import customer_posts, service, sign_in  # noqa: F401 (fixtures)

# Praise needs no answer (scoring.respond_to_praise is off): no ticket.
LET_PASS = "Loving my new Acme kettle, great design!"


def wait_for_stream_post(page, service, text):
    def post_shows_up():
        """the post in the mentions stream"""
        page.goto(f"{service}/mentions")
        return page.locator("li[data-mention]", has_text=text).count() > 0
    wait_for(post_shows_up, every=0.5)


def test_an_agent_takes_a_post_without_a_ticket_into_one_with_a_key(page, service, emulator):
    customer_posts(emulator, LET_PASS, handle="walker")
    sign_in(page, service)
    wait_for_stream_post(page, service, LET_PASS)
    post = page.locator("li[data-mention]", has_text=LET_PASS)
    expect(post.get_by_role("button", name="Take into ticket")).to_be_visible()
    expect(post.locator(".scores")).to_contain_text("Needs a response")

    page.fill("#take-reason", "a fan worth a thank-you")
    page.locator("#take-reason").blur()
    for _ in range(page.locator("li[data-mention]").count()):
        if "current" in (post.get_attribute("class") or ""):
            break
        page.keyboard.press("j")
    expect(post).to_have_class(re.compile(r"\bcurrent\b"))
    with page.expect_navigation():
        page.keyboard.press("t")

    expect(page.locator(".notice.success")).to_contain_text("Raised ticket #")
    post = page.locator("li[data-mention]", has_text=LET_PASS)
    expect(post.locator(".needs-response dd")).to_have_text("yes — taken by Alex Agent; the scorer said no")
    link = post.get_by_role("link", name=re.compile(r"Ticket #\d+"))
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(f"{service}/tickets/*")
    expect(page.locator("ol.activity")).to_contain_text(
        "Post taken from the mentions stream by Alex Agent: a fan worth a thank-you")
    page.goto(f"{service}/inbox")
    expect(page.locator("td.post", has_text=LET_PASS)).to_be_visible()
