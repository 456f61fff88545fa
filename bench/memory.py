"""Memory over time: the service as `closeloop run` wires it (web app,
polling, outbox and the scheduled jobs in one process, with the demo's
settings, team and sources) in one process, the platform emulator in
another, the demo's stream of customer posts and an agent answering and
resolving a ticket every few seconds through the JSON API. Each process's
resident set size is read from /proc while it runs.

    .venv/bin/python bench/memory.py [--minutes 30] [--sample-seconds 60] [--posts-every 3] [--reply-every 5]

Prints one row per sample (minutes since the service answered, the
service's RSS with its process that reads posts' texts, its change since
the first sample, how much of it is that process's, the emulator's RSS,
tickets and replies so far) and at the end the service's RSS at five minutes
beside the last: the figure that should stay within a few MB once its
caches are full. The emulator stands for the platforms, which keep every
post; its memory is shown apart.
"""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from processes import children_of

ROOT = Path(__file__).resolve().parents[1]
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


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{' '.join(process.args[1:4])} stopped with exit code {process.returncode}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(f"nothing answered on {url} within {seconds:g} s")


def serve(folder: str, emulator_url: str, port: int, smtp_port: int) -> None:
    """The service process: what `closeloop run` starts, on the demo's
    settings and team."""
    sys.path.insert(0, str(ROOT))
    from closeloop.demo import demo_settings, seed_team
    from closeloop.runtime import Runtime
    from store.db import Database

    settings = demo_settings(database_url=f"sqlite:///{folder}/memory.db", emulator_url=emulator_url, port=port,
                             smtp_port=smtp_port)
    db = Database(settings.database.url)
    db.migrate()
    seed_team(db, LOGIN[1])
    runtime = Runtime(settings, db=db)
    runtime.start_jobs()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        runtime.serve(host="127.0.0.1", port=port)
    finally:
        runtime.stop()


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


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def run(minutes: float, sample_seconds: float, posts_every: float, reply_every: float) -> list[tuple]:
    sys.path.insert(0, str(ROOT))
    from closeloop.demo import feed_posts
    from connectors.emulator.mail import MailCatcher

    folder = Path(tempfile.mkdtemp(prefix="closeloop-memory-"))
    port, emulator_port = free_port(), free_port()
    emulator_url, base = f"http://127.0.0.1:{emulator_port}", f"http://127.0.0.1:{port}"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    log = (folder / "service.log").open("w")
    mail = MailCatcher().start()
    emulator = subprocess.Popen([sys.executable, "-m", "closeloop", "emulator", "--port", str(emulator_port)],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    service = None
    stop = threading.Event()
    rows = []
    try:
        wait_until_up(f"{emulator_url}/_emulator/faults", emulator)
        service = subprocess.Popen([sys.executable, __file__, "--serve", str(folder), emulator_url, str(port),
                                    str(mail.port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        wait_until_up(f"{base}/healthz", service)
        agent = Agent(base)
        threading.Thread(target=feed_posts, args=(emulator_url, posts_every, 0, stop), daemon=True).start()
        threading.Thread(target=agent.work, args=(reply_every, stop), daemon=True).start()
        started = time.monotonic()
        end = started + minutes * 60
        print(f"service pid {service.pid}, emulator pid {emulator.pid}, log {folder / 'service.log'}")
        print(f"{'minutes':>8} {'RSS MB':>8} {'change':>8} {'of which':>9} {'emulator':>9} {'tickets':>8} "
              f"{'replies':>8}")
        first = None
        while True:
            for process in (service, emulator):
                if process.poll() is not None:
                    raise SystemExit(f"{' '.join(process.args[1:4])} stopped with exit code {process.returncode}; "
                                     f"see {folder / 'service.log'}")
            elapsed = (time.monotonic() - started) / 60
            children = sum(rss_mb(child) for child in children_of(service.pid))
            rss = rss_mb(service.pid) + children
            first = rss if first is None else first
            rows.append((elapsed, rss))
            print(f"{elapsed:8.1f} {rss:8.1f} {rss - first:+8.1f} {children:9.1f} {rss_mb(emulator.pid):9.1f} "
                  f"{agent.tickets:8d} {agent.replies:8d}", flush=True)
            if time.monotonic() >= end:
                break
            time.sleep(min(sample_seconds, max(0.0, end - time.monotonic())))
    finally:
        stop.set()
        for process in (service, emulator):
            if process is not None:
                stop_process(process)
        mail.stop()
        log.close()
    at_five = next((rss for elapsed, rss in rows if elapsed >= 5), None)
    if at_five is not None:
        print(f"service RSS at 5 min {at_five:.1f} MB, at {rows[-1][0]:.1f} min {rows[-1][1]:.1f} MB: "
              f"{rows[-1][1] - at_five:+.1f} MB")
    return rows


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        folder, emulator_url, port, smtp_port = sys.argv[2:6]
        serve(folder, emulator_url, int(port), int(smtp_port))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to run after the service answers")
    parser.add_argument("--sample-seconds", type=float, default=60.0, help="seconds between RSS samples")
    parser.add_argument("--posts-every", type=float, default=3.0, help="average seconds between customer posts")
    parser.add_argument("--reply-every", type=float, default=5.0, help="seconds between the agent's replies")
    args = parser.parse_args()
    run(args.minutes, args.sample_seconds, args.posts_every, args.reply_every)


if __name__ == "__main__":
    main()
