"""How the pages look and fit, in a real browser: on a phone, in dark mode,
and named for assistive technology."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select, update

from config import SystemClock
from store.accounts import create_agent
from store.models import Agent, Alert, Ticket
from tests.e2e.conftest import wait_for
from tests.e2e.test_browser import customer_posts, service  # noqa: F401 (fixtures)

PHONE = {"width": 390, "height": 844}
ADMIN_PAGES = ["/admin/users", "/admin/sources", "/admin/audit", "/admin/settings", "/admin/quarantine"]
PAGES = ["/inbox", "/mentions", "/dashboard", "/incidents", "/canned", "/sources", "/alerts", "/account",
         *ADMIN_PAGES]
# A control of one of these roles without a name in the accessibility tree:
# "- button", "- link:", "- textbox [disabled]" (a named one reads '- button "Send"').
UNNAMED = re.compile(r'^\s*- (button|link|textbox|combobox|checkbox|searchbox)\b(?! ")(?! /)(.*)$', re.M)


@pytest.fixture
def admin(sqlite_db):
    with sqlite_db.transaction() as session:
        create_agent(session, name="Ada Admin", email="admin@example.com", password="pw", role="admin",
                     presence="online", now=SystemClock().now())


def open_page(browser, **options):
    context = browser.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def sign_in(page, service, email="admin@example.com"):
    page.goto(f"{service}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{service}/inbox**")


def a_ticket(page, service, emulator) -> str:
    customer_posts(emulator, "@acme my heater is smoking and smells like burning, is it safe?")

    def ticket_listed():
        """a ticket in the inbox"""
        page.goto(f"{service}/inbox?view=all")
        link = page.locator("a[href^='/tickets/']").first
        return link.get_attribute("href") if link.count() else None
    return wait_for(ticket_listed, every=0.5)


def unnamed_controls(page) -> list[str]:
    """Every control, those folded in <details> too, checked for a name."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    return [m.group(0).strip() for m in UNNAMED.finditer(page.locator("body").aria_snapshot())]


def test_every_control_on_every_main_page_has_a_name(browser, service, emulator, admin):
    context, page = open_page(browser, viewport={"width": 1280, "height": 900})
    page.goto(f"{service}/login")
    found = {"/login": unnamed_controls(page)}
    sign_in(page, service)
    for path in [a_ticket(page, service, emulator), *PAGES]:
        page.goto(f"{service}{path}")
        found[path] = unnamed_controls(page)
    context.close()
    assert {path: controls for path, controls in found.items() if controls} == {}


def test_on_a_phone_nothing_overflows_and_the_navigation_shows_whole(browser, service, emulator, admin):
    context, page = open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, service)
    ticket = a_ticket(page, service, emulator)
    for path in ["/inbox", ticket, "/mentions", "/dashboard", "/sources", "/admin/users", "/admin/sources"]:
        page.goto(f"{service}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (path, page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 420)"
            ".slice(0, 3).map(e => e.outerHTML.slice(0, 200))"))
        for link in page.locator("nav[aria-label=Main] a").all():
            box = link.bounding_box()
            assert box and 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], (path, link.inner_text())
    page.goto(f"{service}/inbox?view=all")
    first_row = page.locator("a[href^='/tickets/']").first.bounding_box()
    assert first_row["y"] + first_row["height"] <= PHONE["height"], "the filters fill the first screen"
    context.close()


def background(page) -> tuple[int, ...]:
    colour = page.evaluate("getComputedStyle(document.body).backgroundColor")
    return tuple(int(n) for n in re.findall(r"\d+", colour)[:3])


def is_dark(rgb: tuple[int, ...]) -> bool:
    return sum(rgb) / 3 < 80


def switch_mark(page) -> str:
    """What the dark mode switch shows before its name."""
    return page.evaluate("getComputedStyle(document.getElementById('theme-switch'), '::before').content")


def test_dark_mode_follows_the_system_and_the_switch_overrides_it(browser, service, admin):
    context, page = open_page(browser, viewport={"width": 1280, "height": 900}, color_scheme="dark")
    sign_in(page, service)
    assert is_dark(background(page))
    assert page.get_by_role("button", name="Dark mode").get_attribute("aria-pressed") == "true"

    assert "✓" in switch_mark(page)
    page.get_by_role("button", name="Dark mode").click()
    assert not is_dark(background(page))
    assert switch_mark(page) == "none"
    page.goto(f"{service}/mentions")
    assert not is_dark(background(page)), "the choice holds on the next page"
    context.close()

    context, page = open_page(browser, viewport={"width": 1280, "height": 900}, color_scheme="light")
    sign_in(page, service)
    assert not is_dark(background(page))
    page.get_by_role("button", name="Dark mode").click()
    assert is_dark(background(page))
    context.close()


def test_the_ticket_list_shows_the_time_left_whole_and_room_for_the_post_at_every_width(browser, service, emulator,
                                                                                       admin, sqlite_db):
    context, page = open_page(browser, viewport={"width": 1920, "height": 900})
    sign_in(page, service)
    a_ticket(page, service, emulator)
    with sqlite_db.transaction() as session:
        session.execute(update(Ticket).values(first_response_due_at=SystemClock().now() - timedelta(minutes=75)))
    page.reload()
    assert re.fullmatch(r"1 h 1\d min overdue", page.locator("#inbox-rows .due").first.inner_text())
    for width in (1024, 1280, 1440, 1920, 2560):
        page.set_viewport_size({"width": width, "height": 900})
        row = page.locator("#inbox-rows tr").first
        due, post, priority = row.locator("td").nth(1), row.locator("td.post"), row.locator("td").nth(5)
        assert due.evaluate("cell => cell.scrollWidth <= cell.clientWidth"), (width, due.inner_text())
        assert priority.evaluate("cell => cell.scrollWidth <= cell.clientWidth"), (width, priority.inner_text())
        assert post.evaluate("cell => cell.clientWidth") >= 160, (width, "the latest post has no room")
    context.close()


def test_a_long_right_to_left_name_in_the_ticket_list_shows_its_start(browser, service, emulator, admin):
    name = "שלום עליכם מרחבא בעולם שם ארוך מאוד"
    response = requests.post(f"{emulator.url}/_emulator/x/posts", timeout=5, json={
        "author": {"handle": "shalom", "name": name, "followers": 5}, "text": "@acme I was charged twice, refund please"})
    assert response.status_code == 201
    context, page = open_page(browser, viewport={"width": 1440, "height": 900})
    sign_in(page, service)
    wait_for(lambda: page.goto(f"{service}/inbox?view=all") and page.locator("#inbox-rows .name").count(), every=0.5)
    first_letter, shown = page.locator("#inbox-rows .name").first.evaluate("""name => {
        const text = name.firstChild, range = document.createRange();
        range.setStart(text, 0); range.setEnd(text, 1);
        const letter = range.getBoundingClientRect(), box = name.getBoundingClientRect();
        return [text.textContent[0], letter.left >= box.left && letter.right <= box.right + 1]; }""")
    context.close()
    assert first_letter == name[0]
    assert shown, "the name is cut at its start"


def test_a_crowded_top_bar_wraps_its_links_and_never_a_button_or_the_name(browser, service, admin):
    context, page = open_page(browser, viewport={"width": 1024, "height": 800})
    sign_in(page, service)
    for width in (1024, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{service}/admin/sources")
        split = page.evaluate("""() => [...document.querySelectorAll(
            '.topbar button, .topbar .brand, .topbar .who > span, .topbar nav a')].filter(element => {
              const range = document.createRange();
              range.selectNodeContents(element);
              return new Set([...range.getClientRects()].map(line => Math.round(line.top))).size > 1;
            }).map(element => element.innerText)""")
        assert split == [], (width, split)
    context.close()


def contrast(one: tuple[int, ...], other: tuple[int, ...]) -> float:
    """WCAG's contrast ratio of two sRGB colours."""
    def luminance(rgb):
        linear = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_dashboard_charts_write_readably_in_dark_mode_and_follow_the_switch(browser, service, emulator, admin):
    context, page = open_page(browser, viewport={"width": 1280, "height": 900}, color_scheme="dark")
    sign_in(page, service)
    a_ticket(page, service, emulator)
    page.goto(f"{service}/dashboard")

    def chart_ink() -> tuple[int, ...]:
        colour = page.evaluate("Chart.getChart(document.getElementById('volume-chart')).options.scales.x.ticks.color")
        if colour.startswith("#"):  # Chart.js's own default, '#666'
            digits = colour[1:] if len(colour) == 7 else "".join(c * 2 for c in colour[1:4])
            return tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4))
        return tuple(int(n) for n in re.findall(r"\d+", colour)[:3])

    assert contrast(chart_ink(), background(page)) >= 4.5
    page.get_by_role("button", name="Dark mode").click()
    assert not is_dark(background(page))
    assert contrast(chart_ink(), background(page)) >= 4.5
    context.close()



TOPICS_COMPLAINED_OF = ["I was charged twice for my order, refund me", "my parcel is a week late, where is it?",
                        "I can't log in to my account since yesterday", "cancel my subscription now, I'm done",
                        "the kettle I bought is broken after two days", "your app crashes every time I open it",
                        "the driver was so rude to me", "my package arrived crushed and the glass is broken"]


@pytest.mark.parametrize("viewport", [{"width": 1400, "height": 900}, {"width": 390, "height": 844}],
                         ids=["wide", "phone"])
def test_the_charts_over_time_keep_room_for_their_plot_beside_every_topics_key(browser, service, emulator, admin,
                                                                              viewport):
    for n, complaint in enumerate(TOPICS_COMPLAINED_OF):
        customer_posts(emulator, f"@acme {complaint}", handle=f"unhappy_{n}")
    context, page = open_page(browser, viewport=viewport)
    sign_in(page, service)

    def every_topic_drawn():
        """the complaints' topics in the trends chart"""
        page.goto(f"{service}/dashboard")
        return page.evaluate("""() => {
            const chart = document.getElementById('trends-chart') && Chart.getChart('trends-chart');
            return chart ? chart.data.datasets.length : 0; }""") >= 5
    wait_for(every_topic_drawn, every=0.5)

    shapes = {chart: page.evaluate("""id => {
        const chart = Chart.getChart(document.getElementById(id));
        return {plot: chart.chartArea.height, canvas: chart.height, series: chart.data.datasets.length,
                rotation: chart.scales.x.labelRotation};
    }""", chart) for chart in ("trends-chart", "volume-chart")}
    assert shapes["trends-chart"]["series"] >= 5
    for shape in shapes.values():
        assert shape["rotation"] == 0, shapes
        assert shape["plot"] >= 0.4 * shape["canvas"], shapes
    context.close()

LOW_CONTRAST_TEXT = r"""() => {
  const rgb = colour => colour.match(/[\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => [r, g, b].map(v => v / 255)
    .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const backdrop = element => {
    for (; element; element = element.parentElement) {
      const colour = rgb(getComputedStyle(element).backgroundColor);
      if (colour.length < 4 || colour[3] > 0.5) return colour;
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll('body *')].filter(element => {
    const text = [...element.childNodes].some(node => node.nodeType === 3 && node.textContent.trim());
    if (!text || !element.getClientRects().length) return false;
    const style = getComputedStyle(element);
    const [one, other] = [luminance(rgb(style.color)), luminance(backdrop(element))];
    const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && style.fontWeight >= 700);
    return (Math.max(one, other) + 0.05) / (Math.min(one, other) + 0.05) < (large ? 3 : 4.5);
  }).map(element => element.outerHTML.slice(0, 120));
}"""


def test_in_dark_mode_every_text_reads_against_its_background(browser, service, emulator, admin, sqlite_db):
    with sqlite_db.transaction() as session:
        ada = session.scalar(select(Agent).where(Agent.email == "admin@example.com"))
        session.add(Alert(key="breach-1", kind="breached", channel="web", recipient=ada.email, agent_id=ada.id,
                          subject="Ticket breached", body="No answer in time", status="sent",
                          created_at=SystemClock().now(), sent_at=SystemClock().now()))
    context, page = open_page(browser, viewport={"width": 1280, "height": 900}, color_scheme="dark")
    sign_in(page, service)
    ticket = a_ticket(page, service, emulator)
    for path in ["/inbox", ticket, "/dashboard", "/alerts", "/admin/users"]:
        page.goto(f"{service}{path}")
        assert page.locator(".topbar .badge").count() == 1 or path == "/alerts"
        assert page.evaluate(LOW_CONTRAST_TEXT) == [], path
    context.close()


def test_the_admin_menu_shows_which_page_is_open(browser, service, admin):
    context, page = open_page(browser, viewport={"width": 1280, "height": 900})
    sign_in(page, service)
    page.goto(f"{service}/admin/sources")

    weights = page.eval_on_selector_all(".admin-nav a", """links => Object.fromEntries(links.map(
        link => [link.textContent, Number(getComputedStyle(link).fontWeight)]))""")
    assert weights.pop("Sources") >= 600
    assert len(weights) == 6 and max(weights.values()) < 600, weights
    context.close()
