"""Memory over time: `closeloop demo` (the emulator, the service and its
stream of customer posts, in one process) with an agent answering and
resolving a ticket every few seconds through the JSON API, the process's
resident set size sampled from /proc while it runs.

    .venv/bin/python bench/memory.py [--minutes 30] [--sample-seconds 60] [--posts-every 3] [--reply-every 5]

Prints one row per sample (minutes since the service answered, RSS, change
since the first sample, tickets and replies so far) and at the end the RSS at
five minutes beside the last, the figure that should stay within a few MB
once the caches are full.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
CLOSELOOP = [sys.executable, "-m", "closeloop"]
LOGIN = ("admin@demo.local", "demo")
REPLY = "Sorry about this, we're on it and will update you here."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def wait_until_up(base: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the demo stopped with exit code {process.returncode} before it served")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the demo did not answer on {base} within {seconds:g} s")


class Agent:
    """Answers and resolves the oldest waiting ticket, again and again."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        token = self.http.post(f"{base}/api/v1/tokens", json={"email": LOGIN[0], "password": LOGIN[1]}, timeout=10)
        token.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {token.json()['token']}"
        self.replies = 0
        self.tickets = 0

    def answer_one(self) -> None:
        found = self.http.get(f"{self.base}/api/v1/tickets", params={"status": "new,open", "limit": 5}, timeout=10)
        found.raise_for_status()
        page = found.json()
        self.tickets = max(self.tickets, page["total"])
        for ticket in page["tickets"]:
            sent = self.http.post(f"{self.base}/api/v1/tickets/{ticket['id']}/replies", json={"body": REPLY},
                                  timeout=10)
            if sent.status_code != 202:
                continue
            self.replies += 1
            self.http.post(f"{self.base}/api/v1/tickets/{ticket['id']}/resolve", json={"force": True}, timeout=10)
            return

    def work(self, every: float, stop: threading.Event) -> None:
        while not stop.wait(every):
            try:
                self.answer_one()
            except requests.RequestException as error:
                print(f"  (agent: {error})", file=sys.stderr)


def run(minutes: float, sample_seconds: float, posts_every: float, reply_every: float) -> list[tuple]:
    folder = Path(tempfile.mkdtemp(prefix="closeloop-memory-"))
    port, emulator_port = free_port(), free_port()
    log = (folder / "demo.log").open("w")
    process = subprocess.Popen(
        [*CLOSELOOP, "demo", "--port", str(port), "--emulator-port", str(emulator_port), "--data-dir",
         str(folder / "data"), "--posts-every", str(posts_every), "--spike-after", "0"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    rows = []
    try:
        wait_until_up(base, process)
        agent = Agent(base)
        threading.Thread(target=agent.work, args=(reply_every, stop), daemon=True).start()
        started = time.monotonic()
        end = started + minutes * 60
        print(f"demo pid {process.pid}, log {folder / 'demo.log'}")
        print(f"{'minutes':>8} {'RSS MB':>8} {'change':>8} {'tickets':>8} {'replies':>8}")
        first = None
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the demo stopped with exit code {process.returncode}; see {folder / 'demo.log'}")
            elapsed = (time.monotonic() - started) / 60
            rss = rss_mb(process.pid)
            first = rss if first is None else first
            rows.append((elapsed, rss))
            print(f"{elapsed:8.1f} {rss:8.1f} {rss - first:+8.1f} {agent.tickets:8d} {agent.replies:8d}", flush=True)
            if time.monotonic() >= end:
                break
            time.sleep(min(sample_seconds, max(0.0, end - time.monotonic())))
    finally:
        stop.set()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()
    at_five = next((rss for elapsed, rss in rows if elapsed >= 5), None)
    if at_five is not None:
        print(f"RSS at 5 min {at_five:.1f} MB, at {rows[-1][0]:.1f} min {rows[-1][1]:.1f} MB: "
              f"{rows[-1][1] - at_five:+.1f} MB")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to run after the service answers")
    parser.add_argument("--sample-seconds", type=float, default=60.0, help="seconds between RSS samples")
    parser.add_argument("--posts-every", type=float, default=3.0, help="average seconds between customer posts")
    parser.add_argument("--reply-every", type=float, default=5.0, help="seconds between the agent's replies")
    args = parser.parse_args()
    run(args.minutes, args.sample_seconds, args.posts_every, args.reply_every)


if __name__ == "__main__":
    main()
