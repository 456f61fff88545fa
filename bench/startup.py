"""Start-up cost of the `closeloop` command: the CPU time (user + system) of
`closeloop --help` and of `closeloop score` on one line, as multiples of
`python -c pass` run by the same interpreter, the three interleaved in one
run so that a busy machine weighs on all of them alike.

    .venv/bin/python bench/startup.py [--runs 20]

Prints the median CPU milliseconds of each and its ratio to `python -c pass`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cpu_ms(command: list[str], stdin: bytes = b"") -> float:
    """User plus system CPU milliseconds of one run of `command`."""
    process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    process.stdin.write(stdin)
    process.stdin.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {process.returncode}")
    return (usage.ru_utime + usage.ru_stime) * 1000


def commands(config: Path) -> dict[str, tuple[list[str], bytes]]:
    closeloop = [sys.executable, "-m", "closeloop"]  # this checkout's code, as the command runs it
    return {
        "python -c pass": ([sys.executable, "-c", "pass"], b""),
        "closeloop --help": ([*closeloop, "--help"], b""),
        "closeloop score (one line)": ([*closeloop, "--config", str(config), "score", "-"],
                                       b"Where is my refund? Ordered two weeks ago.\n"),
    }


def measure(runs: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="closeloop-startup-") as folder:
        config = Path(folder) / "closeloop.toml"
        config.write_text(f'[database]\nurl = "sqlite:///{folder}/closeloop.db"\n')
        timed = commands(config)
        for command, stdin in timed.values():  # warm the file cache and the bytecode
            cpu_ms(command, stdin)
        samples: dict[str, list[float]] = {name: [] for name in timed}
        for _ in range(runs):
            for name, (command, stdin) in timed.items():
                samples[name].append(cpu_ms(command, stdin))
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each command")
    args = parser.parse_args()
    samples = measure(args.runs)
    baseline = statistics.median(samples["python -c pass"])
    print(f"{'command':<28} {'CPU ms':>8} {'x python -c pass':>17}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:<28} {median:8.1f} {median / baseline:17.2f}")


if __name__ == "__main__":
    main()
