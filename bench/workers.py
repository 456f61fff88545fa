"""Polling with several workers: `closeloop worker` processes (real
subprocesses) on PostgreSQL poll X search sources on the emulator while
customers post to them at a steady rate.

    .venv/bin/python bench/workers.py [--workers 1,2,4] [--sources 40] [--rate 60] [--seconds 30]
                                      [--warmup 10] [--latency-ms 100-300] [--code DIR] [--logs DIR] [--json]

Each platform call on the emulator takes a random time in --latency-ms, as
on the real platforms, so that polling waits on the network rather than on
this machine's two cores. The emulator and the customers posting stand in
for the platforms, which run on other machines: run as root, they get a
higher CPU priority than the workers (nice -10), so that a busy machine
slows the workers rather than the platforms. For each number of workers, on a new database and
a new emulator, it reports:

- posts stored per second in the measured window, beside the rate posted;
- polls per second (search calls the emulator answered);
- the lag from a post's creation on the platform to its storing, p50 / p95;
- with two workers or more, the take-over: one polling worker is killed
  with SIGKILL, and the time until every source it was polling, and every
  source at all, has been polled again by the others.

--code runs the workers from another checkout of closeloop (the emulator
always runs from this one), to compare two versions on the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import requests
from sqlalchemy import create_engine, inspect, text

HERE = Path(__file__).resolve().parents[1]
POSTGRES_ADMIN_URL = os.environ.get(
    "CLOSELOOP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
LEADER_LOG = "this process now polls the sources"  # what a worker says when the one global lease made it the poller
SEARCH_PATH = "/2/tweets/search/recent"
FEEDER_THREADS = 4
# The emulator and the feeder stand in for the platforms and their
# customers, on other machines in production: as root they run at this
# priority, so that the load of this machine slows the workers, not them.
PLATFORM_NICENESS = -10


@dataclass
class Result:
    workers: int
    posted_per_second: float
    stored_per_second: float
    polls_per_second: float
    lag_p50: float | None
    lag_p95: float | None
    # Seconds, or ">60 (N sources)" when N sources were not polled again within the minute.
    takeover_leased: float | str | None = None
    takeover_all: float | str | None = None
    sources_of_killed: int | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def config_text(database_url: str, emulator_url: str, sources: int) -> str:
    lines = [
        "[database]", f'url = "{database_url}"',
        "[listener]", "tick_seconds = 0.5", "request_timeout_seconds = 5", "max_backoff_seconds = 5",
        "[outbox]", "interval_seconds = 1", "stale_send_seconds = 10",
        "[accounts.bench_x]", 'platform = "x"', f'base_url = "{emulator_url}"', 'consumer_key = "k"',
        'consumer_secret = "s"', 'access_token = "t"', 'access_token_secret = "ts"',
    ]
    for n in range(sources):
        lines += ["[[sources]]", f'name = "search-{n:02d}"', 'account = "bench_x"', 'kind = "search"',
                  f'target = "{topic(n)}"', "poll_seconds = 1"]
    return "\n".join(lines) + "\n"


def topic(n: int) -> str:
    return f"acmebench{n:02d}"


class Feeder:
    """Posts `rate` customer posts a second, one source's topic after
    another, from a few threads so that one slow answer does not hold the
    others back."""

    def __init__(self, emulator_url: str, sources: int, rate: float, threads: int = FEEDER_THREADS):
        self.url = f"{emulator_url}/_emulator/x/posts"
        self.sources = sources
        self.rate = rate
        self.sent = 0
        self.stop = threading.Event()
        self._next = 0
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._post, daemon=True) for _ in range(threads)]

    def start(self) -> None:
        self._started = time.monotonic()
        for thread in self._threads:
            thread.start()

    def join(self, timeout: float) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def _post(self) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            with self._lock:
                n = self._next
                self._next += 1
            wait = self._started + n / self.rate - time.monotonic()
            if wait > 0 and self.stop.wait(wait):
                return
            session.post(self.url, timeout=10, json={
                "author": {"handle": f"customer{n % 997}", "name": f"Customer {n % 997}", "followers": 10},
                "text": f"{topic(n % self.sources)} my order {n} is late and nobody answers, awful"})
            with self._lock:
                self.sent += 1


class Cluster:
    """A new database, an emulator and `closeloop worker` processes, each logging to a file."""

    def __init__(self, code: Path, sources: int, latency: tuple[float, float], folder: Path,
                 worker_niceness: int | None = None):
        self.code = code
        self.worker_niceness = worker_niceness
        self.folder = folder
        self.admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.database = f"closeloop_bench_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.database}"'))
        self.url = self.admin.url.set(database=self.database).render_as_string(hide_password=False)
        self.engine = create_engine(self.url)
        self.processes: dict[str, subprocess.Popen] = {}
        try:
            self._set_up(sources, latency)
        except BaseException:
            self.close()
            raise

    def _set_up(self, sources: int, latency: tuple[float, float]) -> None:
        port = free_port()
        self.emulator_url = f"http://127.0.0.1:{port}"
        self._start("emulator", ["emulator", "--port", str(port)], cwd=HERE)
        self._wait_for_emulator()
        requests.put(f"{self.emulator_url}/_emulator/latency", timeout=5,
                     json={"min_seconds": latency[0], "max_seconds": latency[1]}).raise_for_status()
        (self.folder / "closeloop.toml").write_text(config_text(self.url, self.emulator_url, sources))
        migrated = subprocess.run([sys.executable, "-m", "closeloop", "migrate"], cwd=self.code, env=self.env,
                                  capture_output=True, text=True, timeout=120)
        if migrated.returncode != 0:
            raise RuntimeError(f"closeloop migrate failed:\n{migrated.stdout}{migrated.stderr}")

    @property
    def env(self) -> dict:
        return {**{k: v for k, v in os.environ.items() if not k.startswith("CLOSELOOP_")},
                "CLOSELOOP_CONFIG": str(self.folder / "closeloop.toml")}

    def _start(self, name: str, args: list[str], cwd: Path, niceness: int | None = None) -> None:
        """Start a closeloop command; at `niceness`, else at this process's."""
        at_niceness = None if niceness is None else (lambda: os.setpriority(os.PRIO_PROCESS, 0, niceness))
        with open(self.folder / f"{name}.log", "w") as log:
            self.processes[name] = subprocess.Popen([sys.executable, "-m", "closeloop", *args], cwd=cwd,
                                                    env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                                    preexec_fn=at_niceness)

    def _wait_for_emulator(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.emulator_url}/_emulator/health", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"the emulator did not start: {(self.folder / 'emulator.log').read_text()}")

    def start_workers(self, count: int) -> None:
        for n in range(1, count + 1):
            self._start(f"worker-{n}", ["worker"], cwd=self.code, niceness=self.worker_niceness)

    def workers(self) -> list[str]:
        return [name for name in self.processes if name.startswith("worker-")]

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()

    def scalar(self, query: str):
        with self.engine.connect() as connection:
            return connection.execute(text(query)).scalar()

    def rows(self, query: str, **params) -> list:
        with self.engine.connect() as connection:
            return connection.execute(text(query), params).all()

    def searches(self) -> int:
        answered = requests.get(f"{self.emulator_url}/_emulator/x/requests", timeout=30).json()["requests"]
        return sum(1 for r in answered if r["path"] == SEARCH_PATH)

    def has_source_leases(self) -> bool:
        return "leased_by" in {column["name"] for column in inspect(self.engine).get_columns("sources")}

    def close(self) -> None:
        """Stop the workers, then the emulator they poll, and drop the database."""
        emulator = [self.processes["emulator"]] if "emulator" in self.processes else []
        for group in ([self.processes[name] for name in self.workers()], emulator):
            for process in group:
                if process.poll() is None:
                    process.terminate()
            for process in group:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.engine.dispose()
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        self.admin.dispose()


def wait_for_the_first_post(cluster: Cluster, timeout: float = 120) -> None:
    """The workers are up once they have stored a post."""
    deadline = time.monotonic() + timeout
    while not cluster.scalar("SELECT count(*) FROM mentions"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no post was stored within {timeout:.0f} s; see the workers' logs")
        time.sleep(0.1)


def measure(cluster: Cluster, feeder: Feeder, workers: int, warmup: float, seconds: float) -> Result:
    wait_for_the_first_post(cluster)
    time.sleep(warmup)
    started_at, posted, stored, searches = utc_now(), feeder.sent, cluster.scalar(
        "SELECT count(*) FROM mentions"), cluster.searches()
    began = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - began
    posted, stored, searches = (feeder.sent - posted, cluster.scalar("SELECT count(*) FROM mentions") - stored,
                                cluster.searches() - searches)
    lags = sorted(float(row[0]) for row in cluster.rows(
        "SELECT extract(epoch FROM received_at - created_at) FROM mentions WHERE received_at >= :since",
        since=started_at))
    return Result(workers, round(posted / elapsed, 1), round(stored / elapsed, 1), round(searches / elapsed, 1),
                  round(statistics.median(lags), 2) if lags else None,
                  round(lags[int(0.95 * (len(lags) - 1))], 2) if lags else None)


def polling_worker(cluster: Cluster, leases: bool) -> tuple[str, set[int]]:
    """A worker to kill, and the sources it is polling: with leases per
    source, the worker that holds the most now; with the one global lease,
    the worker that holds it, and every source."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if leases:
            held: dict[str, set[int]] = {}
            for source_id, holder in cluster.rows(
                    "SELECT id, leased_by FROM sources WHERE leased_by IS NOT NULL AND lease_expires_at > :now",
                    now=utc_now()):
                held.setdefault(holder, set()).add(source_id)
            for name in sorted(cluster.workers(), key=lambda w: -len(held.get(holder_of(cluster, w), ()))):
                if held.get(holder_of(cluster, name)):
                    return name, held[holder_of(cluster, name)]
        else:
            leader = next((name for name in cluster.workers() if LEADER_LOG in cluster.log(name)), None)
            if leader is not None:
                return leader, {row[0] for row in cluster.rows("SELECT id FROM sources WHERE enabled")}
        time.sleep(0.02)
    raise RuntimeError("no worker was polling")


def holder_of(cluster: Cluster, worker: str) -> str:
    return f"{socket.gethostname()}:{cluster.processes[worker].pid}"


def takeover(cluster: Cluster, leases: bool, timeout: float = 60) -> tuple[float | str, float | str, int]:
    """Kill a polling worker; seconds until the sources it was polling, and
    until every source, were polled again."""
    victim, its_sources = polling_worker(cluster, leases)
    cluster.processes[victim].send_signal(signal.SIGKILL)
    killed_at = utc_now()
    cluster.processes[victim].wait(timeout=10)
    every = {row[0] for row in cluster.rows("SELECT id FROM sources WHERE enabled")}
    polled_again: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    while len(polled_again) < len(every) and time.monotonic() < deadline:
        for source_id, last_polled_at in cluster.rows("SELECT id, last_polled_at FROM sources WHERE enabled"):
            if source_id not in polled_again and last_polled_at is not None and last_polled_at > killed_at:
                polled_again[source_id] = (last_polled_at - killed_at).total_seconds()
        time.sleep(0.05)
    late = f">{timeout:.0f} ({len(every) - len(polled_again)} sources)"
    return (round(max(polled_again[s] for s in its_sources), 2) if its_sources <= set(polled_again) else late,
            round(max(polled_again.values()), 2) if len(polled_again) == len(every) else late, len(its_sources))


def run(code: Path, workers: int, sources: int, rate: float, warmup: float, seconds: float,
        latency: tuple[float, float], logs: Path | None = None, worker_niceness: int | None = None) -> Result:
    with tempfile.TemporaryDirectory(prefix="closeloop-bench-") as folder:
        if logs is not None:
            folder = logs / f"{workers}-workers"
            folder.mkdir(parents=True, exist_ok=True)
        cluster = Cluster(code, sources, latency, Path(folder), worker_niceness)
        feeder = Feeder(cluster.emulator_url, sources, rate)
        try:
            cluster.start_workers(workers)
            feeder.start()
            result = measure(cluster, feeder, workers, warmup, seconds)
            if workers > 1:
                result.takeover_leased, result.takeover_all, result.sources_of_killed = takeover(
                    cluster, cluster.has_source_leases())
            return result
        finally:
            feeder.stop.set()
            feeder.join(timeout=10)
            cluster.close()


def latency_range(value: str) -> tuple[float, float]:
    low, _, high = value.partition("-")
    try:
        low_ms, high_ms = float(low), float(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError("give milliseconds as LOW-HIGH, e.g. 100-300") from None
    if not 0 <= low_ms <= high_ms <= 10_000:
        raise argparse.ArgumentTypeError("need 0 <= LOW <= HIGH <= 10000 milliseconds")
    return low_ms / 1000, high_ms / 1000


def counts(value: str) -> list[int]:
    try:
        numbers = [int(part) for part in value.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("give numbers of workers as 1,2,4") from None
    if not numbers or any(not 1 <= n <= 16 for n in numbers):
        raise argparse.ArgumentTypeError("each number of workers must be from 1 to 16")
    return numbers


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=counts, default=[1, 2, 4])
    parser.add_argument("--sources", type=int, default=40)
    parser.add_argument("--rate", type=float, default=60.0, help="customer posts per second, all sources")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the measured window")
    parser.add_argument("--latency-ms", type=latency_range, default=(0.1, 0.3))
    parser.add_argument("--code", type=Path, default=HERE, help="the closeloop checkout the workers run from")
    parser.add_argument("--logs", type=Path, default=None, help="keep the processes' logs in this folder")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    # Stopped with SIGTERM, the processes started here are stopped on the way out.
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    niceness = os.getpriority(os.PRIO_PROCESS, 0)
    as_platform = os.geteuid() == 0
    if as_platform:  # the emulator and the feeder's threads; the workers keep this process's niceness
        os.setpriority(os.PRIO_PROCESS, 0, PLATFORM_NICENESS)
    try:
        results = [run(args.code.resolve(), n, args.sources, args.rate, args.warmup, args.seconds,
                       args.latency_ms, args.logs, niceness if as_platform else None) for n in args.workers]
    finally:
        signal.signal(signal.SIGTERM, previous)
        if as_platform:
            os.setpriority(os.PRIO_PROCESS, 0, niceness)
    if args.json:
        print(json.dumps([asdict(r) for r in results]))
    else:
        low, high = args.latency_ms
        print(f"{args.sources} sources polled every second, {args.rate:g} posts/s, platform latency "
              f"{low * 1000:g}-{high * 1000:g} ms, code {args.code.resolve()}")
        print("| workers | posted/s | stored/s | polls/s | lag p50 / p95 (s) | killed worker's sources "
              "polled again (s) | all sources polled again (s) |")
        print("|---|---|---|---|---|---|---|")
        for r in results:
            killed = f"{r.takeover_leased} ({r.sources_of_killed} sources)" if r.takeover_leased is not None else "-"
            print(f"| {r.workers} | {r.posted_per_second} | {r.stored_per_second} | {r.polls_per_second} | "
                  f"{r.lag_p50} / {r.lag_p95} | {killed} | {r.takeover_all if r.takeover_all is not None else '-'} |")
    return results


if __name__ == "__main__":
    main()
