"""The documented production commands, run as written: PostgreSQL,
`closeloop migrate` and `init`, `closeloop serve` with three web processes
and two `closeloop worker`s. One agent works a ticket through requests
that land on different processes, and the worker running the once-only
jobs dies."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from store.models import Event, Mention
from tests.e2e.conftest import wait_for

pytestmark = pytest.mark.postgres

METRICS_TOKEN = "scrape-me"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """closeloop commands started as an operator would, each logging to a file."""

    def __init__(self, folder: Path, config: Path):
        self.folder = folder
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("CLOSELOOP_")},
                    "CLOSELOOP_CONFIG": str(config)}
        self.started: dict[str, subprocess.Popen] = {}

    def run(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "closeloop", *args], env=self.env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start(self, name: str, *args: str) -> None:
        log = open(self.folder / f"{name}.log", "w")
        self.started[name] = subprocess.Popen([sys.executable, "-m", "closeloop", *args], env=self.env,
                                              stdout=log, stderr=subprocess.STDOUT, text=True)
        log.close()

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()

    def stop_all(self) -> None:
        for process in self.started.values():
            if process.poll() is None:
                process.terminate()
        for process in self.started.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def production(tmp_path, postgres_db, emulator):
    port = free_port()
    config = tmp_path / "closeloop.toml"
    config.write_text(f"""
[database]
url = "{postgres_db.url}"

[web]
port = {port}

[listener]
tick_seconds = 0.5

[outbox]
interval_seconds = 0.5

[metrics]
token = "{METRICS_TOKEN}"
multiprocess_dir = "{tmp_path / 'metrics'}"

[accounts.acme_x]
platform = "x"
base_url = "{emulator.url}"
consumer_key = "k"
consumer_secret = "s"
access_token = "t"
access_token_secret = "ts"

[[sources]]
name = "x-mentions"
account = "acme_x"
kind = "mentions"
poll_seconds = 1
""")
    processes = Processes(tmp_path, config)
    yield processes, f"http://127.0.0.1:{port}", config
    processes.stop_all()


def customer_posts(emulator, handle: str, text: str) -> str:
    created = requests.post(f"{emulator.url}/_emulator/x/posts", timeout=5,
                            json={"author": {"handle": handle, "name": handle.title(), "followers": 10},
                                  "text": text})
    return created.json()["id"]


def ticket_of(db, external_id: str):
    def find():
        """the ticket of the customer's post"""
        with db.transaction() as session:
            return session.scalar(select(Mention.ticket_id).where(Mention.external_id == external_id))
    return find


def csrf_of(page: requests.Response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_the_production_commands_serve_one_team_from_several_processes(production, postgres_db, emulator):
    processes, base, config = production
    processes.run("migrate")
    init = processes.run("init", "--admin-email", "lead@example.com", "--admin-password", "a long passphrase")
    assert f"web.secret_key written into {config}" in init
    processes.start("web", "serve", "--workers", "3")
    processes.start("worker-1", "worker")
    processes.start("worker-2", "worker")

    def web_is_up():
        """the web processes to answer"""
        try:
            return requests.get(f"{base}/healthz", timeout=10).status_code == 200
        except requests.RequestException:
            return False
    wait_for(web_is_up, timeout=60)

    browser = requests.Session()
    signed_in = browser.post(f"{base}/login", allow_redirects=False, data={
        "csrf_token": csrf_of(browser.get(f"{base}/login", timeout=5)),
        "email": "lead@example.com", "password": "a long passphrase"}, timeout=5)
    assert signed_in.status_code == 302 and "/login" not in signed_in.headers["Location"]

    ticket_id = wait_for(ticket_of(postgres_db, customer_posts(emulator, "maria", "My order never arrived, awful!")),
                         timeout=60)
    answers = []
    for turn in range(10):
        page = browser.get(f"{base}/tickets/{ticket_id}", allow_redirects=False, timeout=5)
        noted = browser.post(f"{base}/tickets/{ticket_id}/notes", allow_redirects=False, timeout=5,
                             data={"csrf_token": csrf_of(page), "text": f"checked the courier, turn {turn}"})
        inbox = browser.get(f"{base}/inbox", allow_redirects=False, timeout=5)
        answers += [page, noted, inbox]
    assert len(answers) == 30
    assert [r.status_code for r in answers if r.status_code >= 400] == []
    assert [r.headers["Location"] for r in answers if "/login" in r.headers.get("Location", "")] == []
    with postgres_db.transaction() as session:
        notes = session.scalars(select(Event).where(Event.ticket_id == ticket_id, Event.kind == "note")).all()
        assert len(notes) == 10
    pids = set(re.findall(r'"GET /tickets/\d+ HTTP/1.1" 200 .* pid=<(\d+)>', processes.log("web")))
    assert len(pids) >= 2, processes.log("web")

    def polling_worker():
        """a worker to hold the leader lease"""
        return next((name for name in ("worker-1", "worker-2")
                     if "this process now runs the once-only jobs" in processes.log(name)), None)
    leader = wait_for(polling_worker)
    standby = "worker-2" if leader == "worker-1" else "worker-1"
    processes.started[leader].send_signal(signal.SIGKILL)
    processes.started[leader].wait(timeout=10)
    second = wait_for(ticket_of(postgres_db, customer_posts(emulator, "tom", "Charged twice, refund me now!")),
                      timeout=60)
    assert second != ticket_id
    assert "this process now runs the once-only jobs" in processes.log(standby)

    scraped = requests.get(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=5)
    assert scraped.status_code == 200
    assert 'closeloop_posts_ingested_total{platform="x"} 2.0' in scraped.text
    assert re.search(r'closeloop_polls_total\{outcome="ok",source="x-mentions"\} [1-9]', scraped.text)
    assert 'closeloop_request_seconds_count{endpoint="tickets.show",method="GET"} 10.0' in scraped.text
    assert requests.get(f"{base}/metrics", timeout=5).status_code == 401
