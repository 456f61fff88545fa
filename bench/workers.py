"""Polling with several workers: `closeloop worker` processes (real
subprocesses) on PostgreSQL poll X search sources on the emulator while
customers post to them at a steady rate.

    .venv/bin/python bench/workers.py [--workers 1,2,4] [--threads 2] [--sources 80] [--rate 2]
                                      [--seconds 30] [--warmup 10] [--latency-ms 100-300]
                                      [--workers-first] [--durable] [--code DIR] [--logs DIR] [--json]

What scales with the workers is polling capacity: a poll waits on the
platform's answer, so a worker with T poll threads (`listener.poll_threads`)
polls at most T / latency sources a second, and N workers N times that.
Each platform call on the emulator takes a random time in --latency-ms, as
on the real platforms, and the sources ask for more polls a second than
the workers can make (each is due every second), so that the figures
measure the workers' polling capacity, not this machine's two cores nor
how many polls the sources want. The emulator and the customers posting
stand in for the platforms, which run on other machines: run as root, they
get a higher CPU priority than the workers (nice -10), so that a busy
machine slows the workers rather than the platforms; with --workers-first
the workers get it too, so that other work on the machine slows neither.
Customers post a few posts a second only: each post costs its intake's
CPU, the same however many workers poll, which bench/ingest.py measures. For each number of
workers, on a new database and a new emulator, it reports:

- polls per second (the workers' `closeloop_polls` counters), sources
  polled per tick, the ratio to one worker, the ceiling (workers x
  threads / mean latency) and each worker's own polls per second, which
  shows whether they share the sources;
- how long a poll took on average (`closeloop_poll_seconds`, from the
  platform call to the commit) and the share of the time the poll threads
  spent polling: with them all busy, polls per second are threads / poll
  time, and what keeps N workers from N times one worker's polls is a
  poll taking longer, on a machine busier with them;
- posts stored per second in the measured window, beside the rate posted,
  and the lag from a post's creation on the platform to its storing;
- the CPU the workers and the emulator used (cores) and the machine's
  load average;
- with two workers or more, the take-over: the worker holding the most
  leases is killed with SIGKILL, and the time until every source it held
  was leased by another, and polled again, and until every source was.

The database does not wait for the disk at each commit (synchronous_commit
off, as the test databases) unless --durable: this machine's disk is
shared with other work, and its fsyncs are not what is measured here.

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
from prometheus_client.mmap_dict import MmapedDict
from sqlalchemy import create_engine, inspect, text

HERE = Path(__file__).resolve().parents[1]
POSTGRES_ADMIN_URL = os.environ.get(
    "CLOSELOOP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
LEADER_LOG = "this process now polls the sources"  # what a worker says when the one global lease made it the poller
FEEDER_THREADS = 4
# The emulator and the feeder stand in for the platforms and their
# customers, on other machines in production: as root they run at this
# priority, so that the load of this machine slows the workers, not them.
PLATFORM_NICENESS = -10
TICK_SECONDS = 0.5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    workers: int
    threads: int
    posted_per_second: float
    stored_per_second: float
    polls_per_second: float
    polls_per_tick: float
    # workers x threads / mean latency: what the workers could poll if a poll took only the platform's latency.
    ceiling_per_second: float | None
    # Each worker's polls a second, from its own counter, fewest first.
    polls_per_worker: list[float]
    # How long a poll took on average, and the share of the time the poll threads were polling.
    poll_seconds: float | None
    threads_busy: float
    workers_cpu_cores: float
    emulator_cpu_cores: float
    load_average: tuple[float, float]  # 1-minute load average at the window's start and end
    lag_p50: float | None
    lag_p95: float | None
    # The polls a second of as many workers over those of one worker in the same run.
    ratio_to_one: float | None = None
    # Seconds, or ">60 (N sources)" when N sources were not taken over within the minute.
    takeover_leased: float | str | None = None
    takeover_polled: float | str | None = None
    takeover_all: float | str | None = None
    sources_of_killed: int | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def config_text(database_url: str, emulator_url: str, sources: int, threads: int, metrics: Path) -> str:
    lines = [
        "[database]", f'url = "{database_url}"',
        "[listener]", f"tick_seconds = {TICK_SECONDS}", f"poll_threads = {threads}", "request_timeout_seconds = 5",
        "max_backoff_seconds = 5",
        "[metrics]", f'multiprocess_dir = "{metrics}"',
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

    def __init__(self, code: Path, sources: int, threads: int, latency: tuple[float, float], folder: Path,
                 worker_niceness: int | None = None, durable: bool = False):
        self.code = code
        self.worker_niceness = worker_niceness
        self.folder = folder
        self.admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.database = f"closeloop_bench_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.database}"'))
            if not durable:
                connection.execute(text(f'ALTER DATABASE "{self.database}" SET synchronous_commit TO off'))
        self.url = self.admin.url.set(database=self.database).render_as_string(hide_password=False)
        self.engine = create_engine(self.url)
        self.processes: dict[str, subprocess.Popen] = {}
        try:
            self._set_up(sources, threads, latency)
        except BaseException:
            self.close()
            raise

    def _set_up(self, sources: int, threads: int, latency: tuple[float, float]) -> None:
        port = free_port()
        self.emulator_url = f"http://127.0.0.1:{port}"
        self._start("emulator", ["emulator", "--port", str(port)], cwd=HERE)
        self._wait_for_emulator()
        requests.put(f"{self.emulator_url}/_emulator/latency", timeout=5,
                     json={"min_seconds": latency[0], "max_seconds": latency[1]}).raise_for_status()
        self.metrics = self.folder / "metrics"
        self.metrics.mkdir(exist_ok=True)
        (self.folder / "closeloop.toml").write_text(
            config_text(self.url, self.emulator_url, sources, threads, self.metrics))
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

    def metric(self, kind: str, sample: str) -> dict[str, float]:
        """Each worker's `sample` so far, from the `kind` files it writes (counter, histogram)."""
        values = {}
        for name in self.workers():
            path = self.metrics / f"{kind}_{self.processes[name].pid}.db"
            values[name] = sum(value for key, value, _, _ in
                               (MmapedDict.read_all_values_from_file(str(path)) if path.exists() else ())
                               if json.loads(key)[1] == sample)
        return values

    def polls_by_worker(self) -> dict[str, float]:
        return self.metric("counter", "closeloop_polls_total")

    def poll_seconds(self) -> float:
        """The time all polls so far took, from each worker's fetch to its commit."""
        return sum(self.metric("histogram", "closeloop_poll_seconds_sum").values())

    def cpu_seconds(self, names: list[str]) -> float:
        """The CPU time these processes used so far."""
        total = 0
        for name in names:
            try:
                fields = Path(f"/proc/{self.processes[name].pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # a worker killed for the take-over
                continue
            total += int(fields[11]) + int(fields[12])  # utime and stime
        return total / CLOCK_TICKS

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


def measure(cluster: Cluster, feeder: Feeder, workers: int, threads: int, latency: tuple[float, float],
            warmup: float, seconds: float) -> Result:
    wait_for_the_first_post(cluster)
    time.sleep(warmup)
    load_before = os.getloadavg()[0]
    started_at, posted, stored = utc_now(), feeder.sent, cluster.scalar("SELECT count(*) FROM mentions")
    polls, cpu, emulator_cpu = (cluster.polls_by_worker(), cluster.cpu_seconds(cluster.workers()),
                                cluster.cpu_seconds(["emulator"]))
    polling = cluster.poll_seconds()
    began = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - began
    posted, stored = feeder.sent - posted, cluster.scalar("SELECT count(*) FROM mentions") - stored
    polls = {name: count - polls.get(name, 0) for name, count in cluster.polls_by_worker().items()}
    cpu, emulator_cpu = (cluster.cpu_seconds(cluster.workers()) - cpu,
                         cluster.cpu_seconds(["emulator"]) - emulator_cpu)
    polled, polling = sum(polls.values()), cluster.poll_seconds() - polling
    lags = sorted(float(row[0]) for row in cluster.rows(
        "SELECT extract(epoch FROM received_at - created_at) FROM mentions WHERE received_at >= :since",
        since=started_at))
    return Result(workers, threads, round(posted / elapsed, 1), round(stored / elapsed, 1),
                  round(polled / elapsed, 1), round(polled / elapsed * TICK_SECONDS, 1),
                  round(workers * threads / (sum(latency) / 2), 1) if sum(latency) else None,
                  sorted(round(count / elapsed, 1) for count in polls.values()),
                  round(polling / polled, 3) if polled else None, round(polling / (elapsed * workers * threads), 2),
                  round(cpu / elapsed, 2),
                  round(emulator_cpu / elapsed, 2),
                  (round(load_before, 1), round(os.getloadavg()[0], 1)),
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


@dataclass
class TakeOver:
    """Seconds after the kill, or ">60 (N sources)" when N sources were not yet."""

    leased: float | str  # until another worker leased every source the killed one held
    polled: float | str  # until each of those was polled again
    everything: float | str  # until every source was polled again
    sources: int  # how many the killed one held


def takeover(cluster: Cluster, leases: bool, timeout: float = 60) -> TakeOver:
    """Kill the worker holding the most leases with SIGKILL and watch the
    others take its sources over."""
    victim, its_sources = polling_worker(cluster, leases)
    dead = holder_of(cluster, victim)
    cluster.processes[victim].send_signal(signal.SIGKILL)
    killed_at, killed = utc_now(), time.monotonic()
    every = {row[0] for row in cluster.rows("SELECT id FROM sources WHERE enabled")}
    leased: dict[int, float] = {}
    polled: dict[int, float] = {}
    while len(polled) < len(every) and time.monotonic() < killed + timeout:
        now = time.monotonic() - killed
        for source_id, holder, last_polled_at in cluster.rows(
                "SELECT id, leased_by, last_polled_at FROM sources WHERE enabled"):
            if source_id not in polled and last_polled_at is not None and last_polled_at > killed_at:
                polled[source_id] = (last_polled_at - killed_at).total_seconds()
            if source_id not in leased and (source_id in polled or holder not in (None, dead) and leases):
                leased[source_id] = now
        time.sleep(0.02)
    cluster.processes[victim].wait(timeout=10)
    # A lease is seen when the table is read (every 20 ms or so); a poll carries its own time.
    leased = {source_id: min(seconds, polled.get(source_id, seconds)) for source_id, seconds in leased.items()}

    def until(done: dict[int, float], sources: set[int]) -> float | str:
        missing = len(sources - set(done))
        return round(max(done[s] for s in sources), 2) if not missing else f">{timeout:.0f} ({missing} sources)"

    return TakeOver(until(leased, its_sources), until(polled, its_sources), until(polled, every), len(its_sources))


def run(code: Path, workers: int, threads: int, sources: int, rate: float, warmup: float, seconds: float,
        latency: tuple[float, float], logs: Path | None = None, worker_niceness: int | None = None,
        durable: bool = False) -> Result:
    with tempfile.TemporaryDirectory(prefix="closeloop-bench-") as folder:
        if logs is not None:
            folder = logs / f"{workers}-workers"
            folder.mkdir(parents=True, exist_ok=True)
        cluster = Cluster(code, sources, threads, latency, Path(folder), worker_niceness, durable)
        feeder = Feeder(cluster.emulator_url, sources, rate)
        try:
            cluster.start_workers(workers)
            feeder.start()
            result = measure(cluster, feeder, workers, threads, latency, warmup, seconds)
            if workers > 1:
                taken = takeover(cluster, cluster.has_source_leases())
                result.takeover_leased, result.takeover_polled, result.takeover_all, result.sources_of_killed = (
                    taken.leased, taken.polled, taken.everything, taken.sources)
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


def with_ratios(results: list[Result]) -> list[Result]:
    """Each result's polls a second over one worker's, when one worker was measured."""
    one = next((r for r in results if r.workers == 1), None)
    for r in results:
        if one is not None and one.polls_per_second:
            r.ratio_to_one = round(r.polls_per_second / one.polls_per_second, 2)
    return results


def table(results: list[Result]) -> list[str]:
    lines = ["| workers | polls/s | x one worker | sources polled per tick | ceiling polls/s | each worker's polls/s "
             "| mean poll (s) | threads busy | posted/s | stored/s | lag p50 / p95 (s) | CPU of workers / emulator (cores) | load average | killed "
             "worker's sources leased / polled again (s) | all sources polled again (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        killed = (f"{r.takeover_leased} / {r.takeover_polled} ({r.sources_of_killed} sources)"
                  if r.sources_of_killed is not None else "-")
        lines.append(
            f"| {r.workers} | {r.polls_per_second} | {r.ratio_to_one if r.ratio_to_one is not None else '-'} | "
            f"{r.polls_per_tick} | {r.ceiling_per_second if r.ceiling_per_second is not None else '-'} | "
            f"{', '.join(str(p) for p in r.polls_per_worker)} | {r.poll_seconds} | {r.threads_busy:.0%} | "
            f"{r.posted_per_second} | {r.stored_per_second} | "
            f"{r.lag_p50} / {r.lag_p95} | {r.workers_cpu_cores} / {r.emulator_cpu_cores} | "
            f"{r.load_average[0]} to {r.load_average[1]} | "
            f"{killed} | {r.takeover_all if r.takeover_all is not None else '-'} |")
    return lines


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=counts, default=[1, 2, 4])
    parser.add_argument("--threads", type=int, choices=range(1, 65), default=2, metavar="1..64",
                        help="poll threads per worker (listener.poll_threads)")
    parser.add_argument("--sources", type=int, default=80, help="sources, each polled every second")
    parser.add_argument("--rate", type=float, default=2.0, help="customer posts per second, all sources")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the measured window")
    parser.add_argument("--latency-ms", type=latency_range, default=(0.1, 0.3))
    parser.add_argument("--code", type=Path, default=HERE, help="the closeloop checkout the workers run from")
    parser.add_argument("--logs", type=Path, default=None, help="keep the processes' logs in this folder")
    parser.add_argument("--workers-first", action="store_true",
                        help="as root, the workers too run at the platforms' priority, before other work")
    parser.add_argument("--durable", action="store_true", help="commits wait for the disk (synchronous_commit on)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    # Stopped with SIGTERM, the processes started here are stopped on the way out.
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    niceness = os.getpriority(os.PRIO_PROCESS, 0)
    as_platform = os.geteuid() == 0
    # The emulator and the feeder's threads; the workers keep this process's niceness unless --workers-first.
    worker_niceness = (PLATFORM_NICENESS if args.workers_first else niceness) if as_platform else None
    if as_platform:
        os.setpriority(os.PRIO_PROCESS, 0, PLATFORM_NICENESS)
    try:
        results = with_ratios([run(args.code.resolve(), n, args.threads, args.sources, args.rate, args.warmup,
                                   args.seconds, args.latency_ms, args.logs, worker_niceness, args.durable)
                               for n in args.workers])
    finally:
        signal.signal(signal.SIGTERM, previous)
        if as_platform:
            os.setpriority(os.PRIO_PROCESS, 0, niceness)
    if args.json:
        print(json.dumps([asdict(r) for r in results]))
    else:
        low, high = args.latency_ms
        print(f"{args.sources} sources each due every second, {args.threads} poll thread(s) per worker, "
              f"{args.rate:g} posts/s, platform latency {low * 1000:g}-{high * 1000:g} ms, tick {TICK_SECONDS:g} s, "
              f"{os.cpu_count()} cores, {'durable' if args.durable else 'asynchronous'} commits, "
              f"workers at niceness {worker_niceness}, code {args.code.resolve()}")
        print("\n".join(table(results)))
    return results


if __name__ == "__main__":
    main()
