"""The service running for real: scheduler, outbox and web app on a free
port, polling the emulator; and one Chromium for all the browser tests."""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from closeloop.demo import demo_settings
from closeloop.runtime import Runtime
from store.accounts import create_agent
from tests.conftest import IN_CI

SHUTDOWN_NOTICED_SECONDS = 0.05  # how long stopping the web server waits at most
CHROMIUM = os.environ.get("CLOSELOOP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

def wait_for(predicate, timeout=20.0, every=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"gave up after {timeout} s waiting for {predicate.__doc__ or predicate}")


@pytest.fixture
def start_service():
    """Start the service on a database against an emulator; an agent
    agent@example.com (password pw) is online. Returns the base URL."""
    started = []

    def start(db, emulator) -> str:
        settings = demo_settings(database_url=db.url, emulator_url=emulator.url, port=0)
        settings = settings.model_copy(update={
            "sources": tuple(s.model_copy(update={"poll_seconds": 1}) for s in settings.sources),
            "outbox": settings.outbox.model_copy(update={"interval_seconds": 0.2}),
            "followups": settings.followups.model_copy(update={"delay_minutes": 0.005, "check_seconds": 0.1}),
        })
        runtime = Runtime(settings, db=db)
        with db.transaction() as session:
            create_agent(session, name="Alex Agent", email="agent@example.com", password="pw", role="agent",
                         presence="online", now=runtime.clock.now())
        runtime.start_jobs()
        server = make_server("127.0.0.1", 0, runtime.web_app(), threaded=True)
        threading.Thread(target=server.serve_forever, args=(SHUTDOWN_NOTICED_SECONDS,), daemon=True).start()
        started.append((server, runtime))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, runtime in started:
        server.shutdown()
        runtime.stop()


@pytest.fixture(scope="package")
def browser():
    """Debian's Chromium, started once for every browser test here."""
    if not os.path.exists(CHROMIUM):
        reason = f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(reason + "; CI must run them")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A page in a context of its own; `page.dialogs` lists the dialogs it opened."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()
