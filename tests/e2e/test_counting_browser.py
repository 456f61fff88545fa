"""The reply and update boxes in a real browser (Playwright driving Debian's
Chromium): they count as X does, keep a long paste whole, say how far over
it is and refuse to send it; times name their zone."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from twitter_text import parse_tweet

from config import SystemClock
from store.accounts import create_agent
from store.incidents import link_tickets, open_incident
from store.models import Event, Incident, Reply, Ticket
from tests.e2e.test_answering_in_the_browser import LATE, open_ticket_with_posts
from tests.e2e.test_browser import customer_posts, service, sign_in  # noqa: F401 (fixtures)
from tests.e2e.test_looks import sign_in as sign_in_as
from web.formatting import zone_label

# What agents type, links or not as twitter-text has it: bare domains with
# common and country TLDs and paths, an email (no link), abbreviations,
# versions and file names (no links, but for a file whose ending is a
# country's domain), a long link, and links beside punctuation and CJK.
TEXTS = [
    "Refunds: example.com/refund",
    "See help.acme.co.uk for help",
    "Our shops: acme.io, shop.de/sale and acme.app",
    "www.acme.com/track?id=5 has it",
    "Write to help@acme.co.uk or a.b@example.com",
    "Pick one, e.g. the blue one, i.e. the large",
    "Update to 1.2.3 and open file.txt, node.js or index.html",
    "The notes are in readme.md",
    "Visit acme.com. (acme.com) acme.com,",
    "http://x is no link",
    "Read more at https://status.example.com/incidents/" + "a" * 300,
    "\u65e5\u672c acme.jp \u3067\u3059",
    "Caf\u00e9 b\u00fccher.de",
]


def set_text(page, selector, text):
    """Type the text in at once, as a paste (the browser's length cap would apply)."""
    page.evaluate("([selector, text]) => { const box = document.querySelector(selector); box.value = text; "
                  "box.dispatchEvent(new Event('input')); }", [selector, text])


@pytest.fixture
def manager(sqlite_db):
    with sqlite_db.transaction() as session:
        create_agent(session, name="Mia Manager", email="mia@example.com", password="pw", role="manager",
                     presence="online", now=SystemClock().now())


def test_the_counter_agrees_with_twitter_text_on_what_agents_type(page, service, emulator):
    customer_posts(emulator, LATE, handle="noor_a")
    sign_in(page, service)
    open_ticket_with_posts(page, service, "noor_a", 1)

    for text in TEXTS:
        set_text(page, "#reply-body", text)
        expect(page.locator("#reply-counter")).to_have_text(f"{parse_tweet(text).weightedLength} / 280")


def test_a_long_reply_is_kept_whole_and_refused_saying_by_how_much(page, service, emulator):
    customer_posts(emulator, LATE, handle="noor_a")
    sign_in(page, service)
    ticket_url = open_ticket_with_posts(page, service, "noor_a", 1)
    reply = "We are sorry. " + "a" * 286

    set_text(page, "#reply-body", reply)
    page.get_by_role("button", name="Send reply").click()

    expect(page.locator("#reply-counter")).to_have_text("300 / 280 (20 over)")
    expect(page.locator("#reply-counter-refusal")).to_have_text(
        "Not sent: 20 characters too many; X allows 280. Shorten it, then send.")
    assert page.input_value("#reply-body") == reply
    assert page.url == ticket_url
    set_text(page, "#reply-body", reply[:280])
    expect(page.locator("#reply-counter-refusal")).to_have_count(0)


def test_a_reply_sent_before_the_servers_count_came_is_refused_by_that_count(page, service, emulator):
    customer_posts(emulator, LATE, handle="noor_a")
    sign_in(page, service)
    ticket_url = open_ticket_with_posts(page, service, "noor_a", 1)
    reply = "Track it at acme.io: " + "a" * 258  # 279 as typed; acme.io counts 23 on X
    over = parse_tweet(reply).weightedLength - 280

    set_text(page, "#reply-body", reply)
    page.get_by_role("button", name="Send reply").click()

    expect(page.locator("#reply-counter-refusal")).to_have_text(
        f"Not sent: {over} characters too many; X allows 280. Shorten it, then send.")
    expect(page.locator("#reply-counter")).to_have_text(f"{280 + over} / 280 ({over} over)")
    assert page.url == ticket_url


def test_on_a_phone_the_refusal_and_the_preview_start_where_the_reply_box_starts(page, service, emulator):
    customer_posts(emulator, LATE, handle="noor_a")
    sign_in(page, service)
    open_ticket_with_posts(page, service, "noor_a", 1)
    page.set_viewport_size({"width": 390, "height": 844})

    set_text(page, "#reply-body", "We are sorry. " + "a" * 286)
    page.get_by_role("button", name="Send reply").click()

    expect(page.locator("#reply-counter-refusal")).to_be_visible()
    box_left = page.locator("#reply-body").bounding_box()["x"]
    refusal_text_left = page.evaluate("""() => {
        const range = document.createRange();
        range.selectNodeContents(document.getElementById('reply-counter-refusal'));
        return range.getClientRects()[0].left; }""")
    assert abs(refusal_text_left - box_left) < 2
    assert abs(page.locator("figure.preview").bounding_box()["x"] - box_left) < 2

def test_a_long_note_is_kept_whole_and_refused(page, service, emulator):
    customer_posts(emulator, LATE, handle="noor_a")
    sign_in(page, service)
    open_ticket_with_posts(page, service, "noor_a", 1)
    note = "Courier log: " + "b" * 1990

    set_text(page, "#note-text", note)
    page.get_by_role("button", name="Add note").click()

    expect(page.locator("#note-counter")).to_have_text("2003 / 2000 (3 over)")
    expect(page.locator("#note-counter-refusal")).to_have_text(
        "Not sent: 3 characters too many; a note allows 2000. Shorten it, then send.")
    assert page.input_value("#note-text") == note


def test_a_note_at_its_limit_with_emoji_counts_each_emoji_once_as_the_server_does(page, service, emulator,
                                                                                 sqlite_db):
    """2,000 characters as the server counts them, who refuses a longer
    note: five emoji outside the basic plane count one each (not as two
    UTF-16 halves), and each of the two line breaks two (a form sends
    one as CR LF)."""
    customer_posts(emulator, LATE, handle="noor_a")
    sign_in(page, service)
    open_ticket_with_posts(page, service, "noor_a", 1)
    note = "Courier log:\n" + "b" * 1000 + "\n" + "b" * 979 + "\U0001F4E6" * 5

    set_text(page, "#note-text", note)
    expect(page.locator("#note-counter")).to_have_text("2000 / 2000")
    page.get_by_role("button", name="Add note").click()

    expect(page.locator("#note-counter-refusal")).to_have_count(0)
    expect(page.get_by_text("Courier log: bbb")).to_be_visible()
    with sqlite_db.sessions() as session:
        notes = [e.detail["text"] for e in session.scalars(select(Event).where(Event.kind == "note"))]
    assert notes == [note.replace("\n", "\r\n")]


def test_a_long_incident_update_is_kept_whole_and_refused_and_the_incident_stays_open(
        page, service, emulator, sqlite_db, manager):
    customer_posts(emulator, LATE, handle="noor_a")
    sign_in_as(page, service, "mia@example.com")
    open_ticket_with_posts(page, service, "noor_a", 1)
    with sqlite_db.transaction() as session:
        incident = open_incident(session, title="courier strike", topic=None, keywords=[], since=None,
                                 actor="mia@example.com", now=SystemClock().now())
        link_tickets(session, incident, list(session.scalars(select(Ticket))), "mia@example.com",
                     SystemClock().now(), why="by hand")
        incident_id = incident.id
    update = "Parcels move again: track yours at acme.co.uk/track. " + "c" * 240

    page.goto(f"{service}/incidents/{incident_id}")
    expect(page.locator("label[for=fix-message]")).to_have_text("Update (X allows 280)")
    set_text(page, "#fix-message", update)
    over = parse_tweet(update).weightedLength - 280
    expect(page.locator("#fix-counter")).to_have_text(f"{280 + over} / 280 ({over} over)")
    page.get_by_role("button", name="Send update and resolve").click()

    expect(page.locator("#fix-counter-refusal")).to_have_text(
        f"Not sent: {over} characters too many; X allows 280. Shorten it, then send.")
    assert page.input_value("#fix-message") == update
    with sqlite_db.sessions() as session:
        assert session.get(Incident, incident_id).status == "open"
        assert session.scalars(select(Reply)).all() == []


def test_the_ticket_names_the_zone_of_its_times(page, service, emulator):
    customer_posts(emulator, LATE, handle="noor_a")
    sign_in(page, service)
    open_ticket_with_posts(page, service, "noor_a", 1)

    post_time = page.locator("li.message.post .meta time").first
    expect(post_time).to_have_text(re.compile(r"^\d\d:\d\d\xa0UTC$"))
    expect(post_time).to_have_attribute("title", re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d\xa0UTC$"))
    expect(page.locator(".facts .due")).to_have_attribute("title", re.compile(r"^due \d{4}-\d\d-\d\d \d\d:\d\d\xa0UTC$"))


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/St_Johns"])
def test_the_dashboards_refreshed_clock_names_its_zone_as_the_server_does(page, service, manager, zone):
    page.clock.install()
    sign_in_as(page, service, "mia@example.com")
    page.goto(f"{service}/dashboard")
    expect(page.locator("#now-at")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d\xa0UTC$"))
    page.evaluate("zone => { document.getElementById('now').dataset.timezone = zone; "
                  "document.getElementById('now-at').textContent = ''; }", zone)

    page.clock.fast_forward(16_000)

    label = zone_label(datetime.now(ZoneInfo(zone)))
    expect(page.locator("#now-at")).to_have_text(re.compile(rf"^\d\d:\d\d:\d\d\xa0{re.escape(label)}$"))


def test_a_time_never_ends_a_line_without_its_zone(page, service, emulator):
    customer_posts(emulator, LATE, handle="noor_a")
    sign_in(page, service)
    open_ticket_with_posts(page, service, "noor_a", 1)

    # Narrow the due time's "at 2026-12-04 15:12 UTC" to just fit up to the
    # clock time: the zone must go to the next line with the time, not alone.
    lines_of_time = page.evaluate("""() => {
        const at = document.querySelector('.facts .due').nextElementSibling, text = at.firstChild;
        const clock = text.data.search(/\\d\\d:\\d\\d/), range = document.createRange();
        range.setStart(text, 0); range.setEnd(text, clock + 5);
        at.style.display = 'inline-block';
        at.style.width = (range.getBoundingClientRect().width + 2) + 'px';
        range.setStart(text, clock); range.setEnd(text, text.data.length);
        return new Set(Array.from(range.getClientRects(), r => Math.round(r.top))).size;
    }""")
    assert lines_of_time == 1
