"""Alert settings in a real browser: a person saves their own on a wide
screen, and the account and admin pages fit a phone, read in dark mode and
name every control."""

from __future__ import annotations

import os

import pytest

from config import SystemClock
from store.accounts import create_agent
from store.alert_preferences import preferences_for
from store.models import Agent
from tests.e2e.test_looks import PHONE, is_dark, background, open_page, sign_in, unnamed_controls
from tests.e2e.test_browser import service  # noqa: F401 (fixture)

PAGES = ["/account/alerts", "/admin/alerts"]
# Set to a folder to keep the screenshots for a look.
SHOTS = os.environ.get("CLOSELOOP_SCREENSHOTS")


@pytest.fixture
def admin(sqlite_db):
    with sqlite_db.transaction() as session:
        create_agent(session, name="Ada Admin", email="admin@example.com", password="pw", role="admin",
                     presence="online", now=SystemClock().now())


def shoot(page, name):
    """The first screen and the whole page."""
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}-top.png"))
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_a_person_saves_their_alert_settings_on_a_wide_screen(browser, service, sqlite_db, admin):
    context, page = open_page(browser, viewport={"width": 1280, "height": 900})
    sign_in(page, service)
    page.goto(f"{service}/account")
    page.get_by_role("link", name="Alert settings").click()
    page.get_by_label("Email", exact=True).uncheck()
    page.get_by_label("Spikes").uncheck()
    page.get_by_label("Tickets", exact=True).select_option("team")
    page.get_by_label("Time zone (for the digest and quiet hours)").fill("Europe/Paris")
    page.get_by_label("One email a day summing up the day's alerts").check()
    page.get_by_label("Sent at").select_option("18")
    page.get_by_label("From", exact=True).fill("22:00")
    page.get_by_label("until", exact=True).fill("07:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    assert "Your alert settings are saved." in page.locator("body").inner_text()
    shoot(page, "account-alerts-wide")
    with sqlite_db.transaction() as session:
        agent = session.query(Agent).filter_by(email="admin@example.com").one()
        saved = preferences_for(session, [agent])[agent.id]
    assert (saved.channels, saved.scope, saved.timezone) == (("web",), "team", "Europe/Paris")
    assert "spike" not in saved.kinds and (saved.digest, saved.digest_hour) == (True, 18)
    assert (saved.quiet_from, saved.quiet_until) == ("22:00", "07:00")
    page.goto(f"{service}/admin/alerts")
    shoot(page, "admin-alerts-wide")
    assert unnamed_controls(page) == []
    context.close()


def test_the_alert_settings_fit_a_phone(browser, service, admin):
    context, page = open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, service)
    for path in PAGES:
        page.goto(f"{service}{path}")
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (path, page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 400)"
            ".slice(0, 3).map(e => e.outerHTML.slice(0, 200))"))
        shoot(page, f"phone{path.replace('/', '-')}")
    context.close()


def test_the_alert_settings_read_in_dark_mode(browser, service, admin):
    context, page = open_page(browser, viewport={"width": 1280, "height": 900}, color_scheme="dark")
    sign_in(page, service)
    for path in PAGES:
        page.goto(f"{service}{path}")
        assert is_dark(background(page))
        assert unnamed_controls(page) == []
        shoot(page, f"dark{path.replace('/', '-')}")
    context.close()
