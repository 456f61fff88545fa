"""The service running for real: scheduler, outbox and web app on a free
port, polling the emulator."""

from __future__ import annotations

import threading
import time

import pytest
from werkzeug.serving import make_server

from closeloop.demo import demo_settings
from closeloop.runtime import Runtime
from store.accounts import create_agent

SHUTDOWN_NOTICED_SECONDS = 0.05  # how long stopping the web server waits at most

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
