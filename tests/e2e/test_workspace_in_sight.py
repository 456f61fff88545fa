"""What the workspace shows stays in sight (Playwright driving Debian's
Chromium): a refusal wherever the agent was in the ticket, the top bar
beside a long ticket, the ticket just opened on a phone, and the list's
keyboard place after a ticket opened another way."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from connectors.facebook.emulator import PAGE_ID
from tests.e2e.test_browser import customer_posts, service, sign_in  # noqa: F401 (fixtures)
from tests.e2e.test_moderation_browser import facebook
from tests.e2e.test_workspace_browser import COMPLAINTS, open_all_once_listed, ticket_in_url


def in_sight(page, selector) -> bool:
    return page.evaluate("""selector => {
        const box = document.querySelector(selector).getBoundingClientRect();
        return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight; }""", selector)


def page_scrolled(page) -> int:
    """How far the page itself scrolls, beyond the window."""
    return page.evaluate("document.scrollingElement.scrollHeight - window.innerHeight")


def test_a_refusal_comes_into_sight_wherever_the_agent_was_in_the_ticket(page, service, emulator):
    for n in range(6):
        customer_posts(emulator, f"Still no refund for order 77{n}, this is message {n} about it", handle="kenji_t")
    page.set_viewport_size({"width": 1400, "height": 600})
    sign_in(page, service)
    open_all_once_listed(page, service, "6 posts need an answer")
    page.keyboard.press("j")
    page.wait_for_url(re.compile(r"/tickets/\d+$"))
    page.keyboard.press("Enter")
    page.keyboard.type("Sorry Kenji, checking now")
    page.locator("#reply-body").blur()
    assert page.evaluate("document.getElementById('pane').scrollTop") > 0

    page.keyboard.press("e")

    expect(page.locator("#pane > .notice.error")).to_contain_text("6 posts still need an answer")
    assert in_sight(page, "#pane > .notice.error")
    assert page_scrolled(page) <= 0
    expect(page.locator("#reply-body")).to_have_value("Sorry Kenji, checking now")


def test_the_page_itself_never_scrolls_beside_a_long_ticket_with_comments_to_moderate(page, service, emulator):
    post = facebook(emulator, {"kind": "post", "author": {"id": PAGE_ID}, "text": "Our winter sale starts today"})
    for n in range(5):
        facebook(emulator, {"kind": "comment", "author": {"name": "Rex Angry"}, "in_reply_to": post,
                            "text": f"You are all thieves and idiots, worst company ever ({n})"})
    page.set_viewport_size({"width": 1400, "height": 600})
    sign_in(page, service)
    open_all_once_listed(page, service, "thieves and idiots")
    page.keyboard.press("j")
    page.wait_for_url(re.compile(r"/tickets/\d+$"))
    expect(page.get_by_role("button", name="Hide the comment by Rex Angry").first).to_be_attached()

    assert page_scrolled(page) <= 0
    assert in_sight(page, "header")


def test_j_goes_on_from_the_ticket_that_n_opened(page, service, emulator):
    for n, text in enumerate(COMPLAINTS[:6]):
        customer_posts(emulator, f"{text} (order {n})", handle=f"customer_{n}")
    sign_in(page, service)
    open_all_once_listed(page, service, "(order 5)")
    ids = page.eval_on_selector_all("#inbox-rows tr[data-ticket]", "rows => rows.map(r => r.dataset.ticket)")
    for n in range(3):
        page.keyboard.press("j")
        page.wait_for_url(re.compile(rf"/tickets/{ids[n]}$"))

    page.keyboard.press("n")
    page.wait_for_url(re.compile(rf"/tickets/(?!{ids[2]}$)\d+$"))
    opened = ids.index(ticket_in_url(page))
    expect(page.locator("#inbox-rows tr.current")).to_have_attribute("data-ticket", ids[opened])
    page.keyboard.press("j")

    page.wait_for_url(re.compile(rf"/tickets/{ids[opened + 1]}$"))
    expect(page.locator("#pane h1")).to_contain_text(f"Ticket {ids[opened + 1]}")


def test_on_a_phone_the_ticket_tapped_in_the_list_comes_into_sight(browser, service, emulator):
    for n, text in enumerate(COMPLAINTS[:8]):
        customer_posts(emulator, f"{text} (order {n})", handle=f"customer_{n}")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    try:
        sign_in(page, service)
        open_all_once_listed(page, service, "(order 7)")
        page.locator("#inbox-rows tr", has_text="(order 0)").locator("td.post").tap()
        page.wait_for_url(re.compile(r"/tickets/\d+$"))
        expect(page.locator("#pane h1")).to_contain_text("Ticket")

        expect(page.locator("#pane h1")).to_be_in_viewport()
        assert page.evaluate("document.getElementById('pane').getBoundingClientRect().top") < 200
    finally:
        context.close()
