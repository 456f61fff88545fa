"""Take the README's screenshots: the demo (emulator, service, demo team and
posts) on a fresh database, photographed in Debian's Chromium.

    .venv/bin/python docs/take_screenshots.py

writes docs/screenshots/: inbox.png (the workspace with a ticket open),
ticket.png (its reply box with a canned response) and dashboard.png, each
again as *-dark.png, and phone-inbox.png and phone-ticket.png."""

from __future__ import annotations

import random
import shutil
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import func, select
from werkzeug.serving import make_server

from closeloop.demo import DemoFeeder, demo_settings, seed_team
from closeloop.runtime import Runtime
from connectors.emulator.server import EmulatorServer
from responder.outbox import queue_reply
from store.db import Database
from store.models import Reply, Ticket

OUT = Path(__file__).with_name("screenshots")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
POSTS = 14


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="closeloop-shots-"))
    emulator = EmulatorServer(port=0, brand_handle="acme", brand_name="Acme").start()
    settings = demo_settings(database_url=f"sqlite:///{folder / 'demo.db'}", emulator_url=emulator.url, port=0)
    db = Database(settings.database.url)
    db.migrate()
    seed_team(db, "demo")
    runtime = Runtime(settings, db=db)
    runtime.start_jobs()
    server = make_server("127.0.0.1", 0, runtime.web_app(), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        feeder = DemoFeeder(emulator.url, random.Random(3))
        for _ in range(POSTS):
            feeder.post_one()
        _wait_for_tickets(db, POSTS // 2)
        _answer_one(db, runtime)
        time.sleep(3)
        _photograph(base)
    finally:
        server.shutdown()
        runtime.stop()
        emulator.stop()


def _wait_for_tickets(db: Database, count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with db.transaction() as session:
            if session.scalar(select(func.count(Ticket.id))) >= count:
                return
        time.sleep(1)
    raise SystemExit("the demo raised too few tickets to photograph")


def _answer_one(db: Database, runtime: Runtime) -> None:
    with db.transaction() as session:
        ticket = session.scalar(select(Ticket).where(~Ticket.replies.any(Reply.id > 0)).order_by(Ticket.id))
        queue_reply(session, ticket, "Sorry about this! I've passed it to the team and will update you today.",
                    ticket.assignee, runtime.clock.now())


WIDE = {"viewport": {"width": 1400, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def _photograph(base: str) -> None:
    """The workspace with a ticket open, its reply box with a canned
    response and the dashboard, wide in light and dark; the inbox and a
    ticket on a phone."""
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        for scheme, suffix in (("light", ""), ("dark", "-dark")):
            page = _signed_in(browser, base, color_scheme=scheme, **WIDE)
            page.goto(f"{base}/inbox?view=all")
            page.locator("#inbox-rows td.post a").first.click()
            page.wait_for_load_state()
            page.wait_for_timeout(500)
            page.screenshot(path=str(OUT / f"inbox{suffix}.png"))
            page.select_option("#canned-pick", index=1)
            page.screenshot(path=str(OUT / f"ticket{suffix}.png"))
            page.goto(f"{base}/dashboard")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(OUT / f"dashboard{suffix}.png"), full_page=True)
            page.context.close()
        page = _signed_in(browser, base, color_scheme="light", **PHONE)
        page.goto(f"{base}/inbox?view=all")
        page.screenshot(path=str(OUT / "phone-inbox.png"))
        page.locator("#inbox-rows td.post a").first.click()
        page.wait_for_load_state()
        page.locator(".conversation").first.scroll_into_view_if_needed()
        page.screenshot(path=str(OUT / "phone-ticket.png"))
        page.context.close()
        browser.close()


def _signed_in(browser, base: str, **options):
    page = browser.new_context(**options).new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", "manager@demo.local")
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/inbox**")
    return page


if __name__ == "__main__":
    main()
