"""The workspace in a real browser (Playwright driving Debian's Chromium):
tickets open in place from the keyboard, the URL follows them, replies and
actions are sent without a page load, and the open conversation shows new
posts and delivery states without a reload."""

from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

from tests.e2e.test_browser import (  # noqa: F401 (fixtures)
    brand_replies,
    customer_posts,
    service,
    sign_in,
)
from tests.e2e.conftest import wait_for

COMPLAINTS = ["My order still hasn't arrived", "Charged twice for one box", "The app logs me out every hour",
              "Box arrived crushed, glass broken", "Refund promised two weeks ago, nothing",
              "Wrong size delivered again", "Courier left my parcel in the rain", "Nobody answers the chat",
              "Promo code rejected at checkout", "Tracking page has said 'soon' for a week",
              "Cancelled my order and was still charged", "Missing item in my box, where is it?",
              "Password reset email never arrives", "Delivery slot missed twice, no call"]


def mark_the_window(page):
    """A marker that a page load would wipe."""
    page.evaluate("window.stillTheSamePage = true")


def still_the_same_page(page) -> bool:
    return page.evaluate("window.stillTheSamePage === true")


def ticket_in_url(page) -> str:
    return re.search(r"/tickets/(\d+)", page.url).group(1)


def open_all_once_listed(page, service, text):
    def listed():
        """the post in the list of all open tickets"""
        page.goto(f"{service}/inbox?view=all")
        return page.locator("#inbox-rows tr", has_text=text).count() > 0
    wait_for(listed, every=0.5)


def visible_rows(page) -> int:
    return page.evaluate("""() => Array.from(document.querySelectorAll('#inbox-rows tr')).filter(row => {
        const box = row.getBoundingClientRect();
        return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight; }).length""")


def test_tickets_open_in_place_from_the_keyboard_and_back_and_forward_follow(page, service, emulator):
    for n, text in enumerate(COMPLAINTS):
        customer_posts(emulator, f"{text} (order {n})", handle=f"customer_{n}")
    page.set_viewport_size({"width": 1400, "height": 900})
    sign_in(page, service)
    open_all_once_listed(page, service, "(order 13)")
    assert visible_rows(page) >= 12
    mark_the_window(page)

    page.keyboard.press("j")
    page.wait_for_url(re.compile(r"/tickets/\d+$"))
    first = ticket_in_url(page)
    expect(page.locator("#pane h1")).to_contain_text(f"Ticket {first}")
    page.keyboard.press("j")
    page.wait_for_url(re.compile(rf"/tickets/(?!{first}$)\d+$"))
    second = ticket_in_url(page)
    expect(page.locator("#pane h1")).to_contain_text(f"Ticket {second}")
    expect(page.locator(f"#inbox-rows tr[data-ticket='{second}']")).to_have_class(re.compile("open"))
    assert visible_rows(page) >= 12

    page.go_back()
    expect(page.locator("#pane h1")).to_contain_text(f"Ticket {first}")
    assert ticket_in_url(page) == first
    page.go_forward()
    expect(page.locator("#pane h1")).to_contain_text(f"Ticket {second}")
    page.keyboard.press("k")
    page.wait_for_url(f"**/tickets/{first}")
    page.keyboard.press("Enter")
    expect(page.locator("#reply-body")).to_be_focused()
    assert still_the_same_page(page)

    page.locator("#inbox-rows tr", has_text="(order 5)").locator("td.post a").click()
    expect(page.locator("#pane")).to_contain_text("Wrong size delivered again")
    assert still_the_same_page(page)


def test_a_new_post_and_the_replys_delivery_show_live_in_the_open_conversation(page, service, emulator):
    customer_posts(emulator, "My order still hasn't arrived after two weeks.", handle="maria_k")
    sign_in(page, service)
    open_all_once_listed(page, service, "still hasn't arrived")
    page.locator("#inbox-rows tr", has_text="still hasn't arrived").locator("td.post a").click()
    page.wait_for_url(re.compile(r"/tickets/\d+$"))
    mark_the_window(page)
    refreshes = []
    page.on("request", lambda request: refreshes.append(request) if "/pane" in request.url else None)

    customer_posts(emulator, "Hello?? Still nothing and the tracking page is blank.", handle="maria_k")
    expect(page.locator("ol.conversation")).to_contain_text("tracking page is blank", timeout=20_000)
    assert still_the_same_page(page)
    # The refreshes say they are the page's own, so they leave the sign-in cookie alone.
    assert refreshes and all(request.headers.get("x-background") == "1" for request in refreshes)

    requests.post(f"{emulator.url}/_emulator/faults", timeout=5,
                  json={"platform": "x", "status": 429, "count": 3, "retry_after": 3}).raise_for_status()
    page.fill("#reply-body", "Sorry Maria! Your parcel is on its way and will be with you tomorrow.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#pane .notice.success")).to_contain_text("Reply queued")
    # The 429s usually hold the reply as queued for a few seconds; the poller may meet them first.
    expect(page.locator(".message.reply .delivery")).to_have_text(re.compile("queued|sending|sent"))
    expect(page.locator(".message.reply .delivery")).to_have_text("sent", timeout=30_000)
    expect(page.locator(".message.reply").get_by_role("link", name=re.compile("view on"))).to_be_visible()
    assert still_the_same_page(page)


def test_an_agent_works_ten_tickets_from_the_keyboard_without_a_page_load(page, service, emulator):
    complaints = [text for text in COMPLAINTS if "Tracking" not in text][:10]  # all ten raise a ticket
    for n, text in enumerate(complaints):
        customer_posts(emulator, f"{text} (order {n})", handle=f"customer_{n}")
    sign_in(page, service)

    def all_listed():
        """the ten tickets in the list of all open tickets"""
        page.goto(f"{service}/inbox?view=all")
        return page.locator("#inbox-rows tr").count() == 10
    wait_for(all_listed, every=0.5)
    mark_the_window(page)

    worked = []
    for n in range(10):
        page.keyboard.press("j")
        page.wait_for_url(re.compile(rf"/tickets/(?!({'|'.join(worked) or 'none'})$)\d+$"))
        ticket = ticket_in_url(page)
        expect(page.locator("#pane h1")).to_contain_text(f"Ticket {ticket}")
        page.keyboard.press("Enter")
        expect(page.locator("#reply-body")).to_be_focused()
        page.keyboard.type(f"Sorry about that! Sorted for you now ({n}).")
        page.keyboard.press("Control+Enter")
        expect(page.locator("#pane .notice.success")).to_contain_text("Reply queued")
        expect(page.locator(".message.reply .delivery")).to_have_text(re.compile("queued|sending|sent"))
        page.keyboard.press("e")
        expect(page.locator("#pane h1 .status")).to_have_text("resolved")
        expect(page.locator(f"#inbox-rows tr[data-ticket='{ticket}']")).to_have_count(0)
        worked.append(ticket)

    assert len(set(worked)) == 10
    expect(page.locator("#inbox-rows tr")).to_have_count(0)

    def all_posted():
        """the ten replies posted on the platform"""
        return len([text for _, text in brand_replies(emulator) if "Sorted for you now" in text]) == 10
    wait_for(all_posted, every=0.5)
    assert still_the_same_page(page)


def test_a_refused_resolve_shows_why_in_place_and_keeps_the_draft(page, service, emulator):
    customer_posts(emulator, "My order still hasn't arrived after two weeks.", handle="maria_k")
    customer_posts(emulator, "And I was charged twice for it!", handle="maria_k")
    sign_in(page, service)
    open_all_once_listed(page, service, "2 posts need an answer")
    mark_the_window(page)
    page.keyboard.press("j")
    page.wait_for_url(re.compile(r"/tickets/\d+$"))
    page.keyboard.press("Enter")
    draft = "Sorry Maria, let me check with the courier"
    page.keyboard.type(draft)
    page.locator("#reply-body").blur()

    page.keyboard.press("e")
    expect(page.locator("#pane .notice.error").first).to_contain_text("Not done")
    expect(page.locator("#resolve-confirm")).to_contain_text("2 posts still need an answer")
    expect(page.locator("#reply-body")).to_have_value(draft)
    expect(page.locator("#pane h1 .status")).not_to_have_text("resolved")
    assert still_the_same_page(page)


def test_the_customer_sits_beside_the_conversation_on_a_wide_screen(page, service, emulator):
    customer_posts(emulator, "My order still hasn't arrived after two weeks.", handle="maria_k")
    sign_in(page, service)
    open_all_once_listed(page, service, "still hasn't arrived")
    page.keyboard.press("j")
    page.wait_for_url(re.compile(r"/tickets/\d+$"))
    panel = page.get_by_role("complementary", name="Customer")
    conversation = page.locator("ol.conversation")

    page.set_viewport_size({"width": 1600, "height": 900})
    assert panel.bounding_box()["x"] > conversation.bounding_box()["x"] + conversation.bounding_box()["width"]
    assert panel.bounding_box()["y"] < conversation.bounding_box()["y"] + conversation.bounding_box()["height"]
    page.set_viewport_size({"width": 1400, "height": 900})
    assert panel.bounding_box()["y"] > conversation.bounding_box()["y"] + conversation.bounding_box()["height"]


def test_the_keys_help_opens_with_question_mark_and_closes_with_escape_or_its_button(page, service, emulator):
    customer_posts(emulator, COMPLAINTS[0], handle="customer_help")
    sign_in(page, service)
    open_all_once_listed(page, service, COMPLAINTS[0])
    help_box = page.get_by_role("dialog", name="Keyboard shortcuts")

    page.keyboard.press("?")
    expect(help_box).to_be_visible()
    page.keyboard.press("Escape")
    expect(help_box).to_be_hidden()
    page.keyboard.press("?")
    help_box.get_by_role("button", name="Close").click()
    expect(help_box).to_be_hidden()


def test_a_bulk_actions_notice_goes_once_the_next_ticket_opens_in_place(page, service, emulator):
    for n, text in enumerate(COMPLAINTS[:2]):
        customer_posts(emulator, f"{text} (bulk {n})", handle=f"bulk_{n}")
    sign_in(page, service)
    open_all_once_listed(page, service, "(bulk 1)")
    page.locator("#inbox-rows tr", has_text="(bulk 0)").locator("input[name=tickets]").check()
    page.select_option("#bulk-action", "assign_me")
    page.locator("#bulk button[type=submit]").click()
    expect(page.locator("main > .notice")).to_have_text("Done for 1 ticket(s).")
    page.wait_for_load_state()  # the inbox's keys are bound once its scripts have run
    mark_the_window(page)

    page.keyboard.press("j")
    page.wait_for_url(re.compile(r"/tickets/\d+$"))
    expect(page.locator("#pane h1")).to_contain_text("Ticket")
    assert still_the_same_page(page)
    expect(page.locator("main > .notice")).to_have_count(0)
