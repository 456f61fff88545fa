"""Answering a chosen post in a real browser (Playwright driving Debian's
Chromium): the reply lands under that post on the emulator."""

from __future__ import annotations

from playwright.sync_api import expect

from connectors.x.connector import XConnector

from tests.e2e.conftest import wait_for
from tests.e2e.test_browser import (  # noqa: F401 (fixtures)
    brand_replies,
    customer_posts,
    service,
    sign_in,
    wait_for_inbox_row,
    wait_until_sent,
)

REFUND = "Charged twice for my AcmeBox order #4471. I want a refund."
LATE = "My order #5120 is a week late. Where is it?"
LOGIN = "I can't log in since the update, password reset email never arrives."
CRUSHED = "Box arrived crushed and the glass inside is broken. Really disappointed."
PRAISE = "Loving the new AcmeBox colours, nice work team"


def open_ticket_with_posts(page, service, handle, count):
    """Open the customer's ticket from the inbox, reloading until its
    `count` posts are in."""
    wait_for_inbox_row(page, service, f"@{handle}")
    page.locator("#inbox-rows tr", has_text=f"@{handle}").locator("td.post a").click()
    page.wait_for_url(f"{service}/tickets/*")

    def all_posts_in():
        """the customer's posts threaded into the ticket"""
        page.reload()
        return page.locator("li.message.post").count() == count
    wait_for(all_posts_in, every=0.5)
    return page.url


def test_an_agent_answers_an_older_post_and_it_lands_under_that_post(page, service, emulator):
    refund = customer_posts(emulator, REFUND, handle="kenji_t")
    customer_posts(emulator, LATE, handle="kenji_t")
    customer_posts(emulator, LOGIN, handle="kenji_t")
    sign_in(page, service)
    ticket_url = open_ticket_with_posts(page, service, "kenji_t", 3)
    expect(page.locator("#waiting-count")).to_have_text("3 posts need an answer")
    expect(page.locator("#answering-text")).to_contain_text("I can't log in since the update")

    page.keyboard.press("[")
    expect(page.locator("#answering-text")).to_contain_text(LATE)
    page.locator("li.message.post", has_text="Charged twice").get_by_role("link", name="Answer this post").click()
    expect(page.locator("#answering-text")).to_contain_text("Charged twice for my AcmeBox order")
    expect(page.locator("#reply-body")).to_be_focused()
    reply = "Sorry Kenji! The second charge is refunded; you will see it within 3 days."
    page.fill("#reply-body", reply)
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#pane .notice.success")).to_contain_text("Reply queued")

    wait_until_sent(page, ticket_url)
    assert brand_replies(emulator) == [(refund, reply)]
    answered = page.locator("li.message.post", has_text="Charged twice")
    expect(answered.locator(".answer-state")).to_contain_text("Answered")
    expect(answered.locator(".answer-state")).to_contain_text("Alex Agent")
    expect(page.locator("#waiting-count")).to_have_text("2 posts need an answer")


def test_the_reply_goes_to_the_complaint_not_the_praise_after_it(page, service, emulator):
    complaint = customer_posts(emulator, CRUSHED, handle="ben_on_bikes")
    sign_in(page, service)
    wait_for_inbox_row(page, service, "Box arrived crushed")
    customer_posts(emulator, PRAISE, handle="ben_on_bikes")
    ticket_url = open_ticket_with_posts(page, service, "ben_on_bikes", 2)
    praise = page.locator("li.message.post", has_text="Loving the new")
    expect(praise.locator(".answer-state")).to_contain_text("No answer needed")

    expect(page.locator("#answering-text")).to_contain_text("Box arrived crushed and the glass")
    reply = "So sorry Ben! A replacement is on its way today."
    page.fill("#reply-body", reply)
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#pane .notice.success")).to_contain_text("Reply queued")

    wait_until_sent(page, ticket_url)
    assert brand_replies(emulator) == [(complaint, reply)]


def test_the_counter_weighs_characters_as_x_counts_them(page, service, emulator):
    customer_posts(emulator, LATE, handle="noor_a")
    sign_in(page, service)
    open_ticket_with_posts(page, service, "noor_a", 1)

    page.fill("#reply-body", "\u65e5\u672c" * 100)
    expect(page.locator("#reply-counter")).to_have_text("400 / 280 (120 over)")
    expect(page.locator("#reply-counter")).to_have_class("counter over")
    page.fill("#reply-body", "Read more at https://status.example.com/incidents/" + "a" * 300)
    expect(page.locator("#reply-counter")).to_have_text("36 / 280")


def test_the_counter_weighs_an_emoji_as_x_does_and_a_long_link_is_kept_whole(page, service, emulator):
    complaint = customer_posts(emulator, LATE, handle="noor_a")
    sign_in(page, service)
    ticket_url = open_ticket_with_posts(page, service, "noor_a", 1)

    for text in ("Thanks " + "\U0001F468\u200d\U0001F469\u200d\U0001F467" * 10, "Great " + "\U0001F44D\U0001F3FD" * 20,
                 "\U0001F1E9\U0001F1EA 1\ufe0f\u20e3 \u00a9 cafe\u0301"):
        page.fill("#reply-body", text)
        expect(page.locator("#reply-counter")).to_have_text(f"{XConnector.reply_length(text)} / 280")

    reply = "Read more at https://status.example.com/incidents/" + "a" * 300
    page.fill("#reply-body", "")
    page.focus("#reply-body")
    page.keyboard.insert_text(reply)  # as a paste: the browser's length cap applies
    assert page.input_value("#reply-body") == reply
    expect(page.locator("#reply-counter")).to_have_text("36 / 280")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#pane .notice.success")).to_contain_text("Reply queued")
    wait_until_sent(page, ticket_url)
    assert brand_replies(emulator) == [(complaint, reply)]
