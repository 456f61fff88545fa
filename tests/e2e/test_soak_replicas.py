"""Soak on PostgreSQL with two `closeloop worker` processes, both polling:
posts on all four platforms while a fifth of all platform calls fail,
replies queued through the store as they come, and the worker running the
once-only jobs killed with SIGKILL midway and started again. At the end
every post is stored exactly once and every reply is posted exactly once,
under the right post.

It runs only when asked for (`make long`, or pytest's `-m soak`);
CLOSELOOP_SOAK_SECONDS sets the duration (default 90)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from closeloop.demo import DemoFeeder, demo_settings
from config.clock import SystemClock
from connectors.facebook import emulator as facebook
from connectors.reddit import emulator as reddit
from tests.e2e.conftest import wait_for
from tests.e2e.test_soak import FAULTS, check_everything_done_once, customer_posts, reply_to_new_tickets

pytestmark = [pytest.mark.postgres, pytest.mark.soak]

SOAK_SECONDS = float(os.environ.get("CLOSELOOP_SOAK_SECONDS", "90"))
LEADER_LOG = "this process now runs the once-only jobs"


def toml_value(value) -> str:
    """A value as TOML inline syntax (tables inline, strings as JSON writes them)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return json.dumps(value)


def worker_config(database_url: str, emulator_url: str) -> dict:
    """The demo's four accounts and ten sources, polled every second, with
    short outbox back-offs so the faults settle within the test."""
    demo = demo_settings(database_url=database_url, emulator_url=emulator_url, port=0)
    return {
        "database": {"url": database_url},
        "brand": {"name": "Acme"},
        "listener": {"tick_seconds": 0.5, "max_backoff_seconds": 3, "request_timeout_seconds": 2},
        "outbox": {"interval_seconds": 0.3, "backoff_seconds": 1, "max_attempts": 100, "max_backoff_seconds": 3,
                   "stale_send_seconds": 10},
        "accounts": {
            "demo_x": {"platform": "x", "base_url": emulator_url, "consumer_key": "demo-key",
                       "consumer_secret": "demo-secret", "access_token": "demo-token",
                       "access_token_secret": "demo-token-secret"},
            "demo_facebook": {"platform": "facebook", "base_url": emulator_url, "page_id": facebook.PAGE_ID,
                              "page_access_token": "demo-page-token", "app_secret": facebook.DEFAULT_APP_SECRET,
                              "verify_token": "demo-verify"},
            "demo_instagram": demo.accounts["demo_instagram"].model_dump(mode="json", exclude={"post_page"},
                                                                        exclude_none=True),
            "demo_reddit": {"platform": "reddit", "base_url": emulator_url, "client_id": reddit.CLIENT_ID,
                            "client_secret": reddit.CLIENT_SECRET, "username": "acme", "password": reddit.PASSWORD},
            "demo_reviews": {"platform": "reviews", "base_url": emulator_url,
                             "reply_url": "/reviews/{review_id}/replies", "api_key": "demo-review-key"},
        },
        "sources": [{**source.model_dump(mode="json", exclude_defaults=True), "poll_seconds": 1}
                    for source in demo.sources],
    }


class Workers:
    """`closeloop worker` processes on one config, each logging to a file."""

    def __init__(self, folder, config):
        self.folder = folder
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("CLOSELOOP_")},
                    "CLOSELOOP_CONFIG": str(config)}
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> None:
        with open(self.folder / f"{name}.log", "a") as log:
            self.processes[name] = subprocess.Popen([sys.executable, "-m", "closeloop", "worker"], env=self.env,
                                                    stdout=log, stderr=subprocess.STDOUT)

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()

    def kill(self, name: str) -> None:
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def workers(tmp_path, postgres_db, emulator):
    config = tmp_path / "closeloop.toml"
    data = worker_config(postgres_db.url, emulator.url)
    config.write_text("".join(f"{key} = {toml_value(value)}\n" for key, value in data.items()))
    started = Workers(tmp_path, config)
    yield started
    started.stop_all()


def polling_worker(workers: Workers):
    def leader():
        """a worker to hold the leader lease"""
        return next((name for name in ("worker-1", "worker-2") if LEADER_LOG in workers.log(name)), None)
    return leader


@pytest.fixture
def faults_injected(emulator, monkeypatch):
    """How many platform calls the emulator failed on purpose."""
    state = emulator.app.extensions["emulator"]
    taken = state.take_fault
    count = [0]

    def counting(platform):
        fault = taken(platform)
        count[0] += fault is not None
        return fault

    monkeypatch.setattr(state, "take_fault", counting)
    return count


class Replier:
    """The store's side of an agent answering every ticket once: the
    soak's replier, with the runtime's two attributes it reads."""

    def __init__(self, db):
        self.db = db
        self.clock = SystemClock()


@pytest.mark.timeout(SOAK_SECONDS + 360)
def test_two_workers_store_and_answer_everything_once_through_faults_and_a_kill(
        workers, postgres_db, emulator, faults_injected):
    workers.start("worker-1")
    workers.start("worker-2")
    feeder = DemoFeeder(emulator.url, random.Random(11),
                        texts=lambda n: f"Soak {n}: my AcmeBox order is late and nobody answers. Terrible.")
    requests.post(f"{emulator.url}/_emulator/faults", json=FAULTS, timeout=5).raise_for_status()
    stop = threading.Event()
    replier = threading.Thread(target=reply_to_new_tickets, args=(Replier(postgres_db), stop), daemon=True)
    replier.start()
    started = time.monotonic()
    deadline = started + SOAK_SECONDS
    killed = None
    while time.monotonic() < deadline:
        feeder.post_one()
        if killed is None and time.monotonic() > started + SOAK_SECONDS / 2:
            killed = wait_for(polling_worker(workers))
            workers.kill(killed)
            workers.start(killed)
        time.sleep(0.4)
    requests.delete(f"{emulator.url}/_emulator/faults", timeout=5)
    assert killed is not None

    expected = customer_posts(emulator)
    assert len(expected) >= SOAK_SECONDS / 0.4 * 0.5

    stored, sent = check_everything_done_once(postgres_db, emulator, expected, stop, replier,
                                              posts_timeout=120, replies_timeout=180)
    print(f"\nsoak on two workers: {len(stored)} posts, {len(sent)} replies, "
          f"{faults_injected[0]} faults injected, 1 kill ({killed})")
