"""bench/workers.py runs end to end at a small size: real `closeloop
worker` processes poll the emulator on a database of their own, posts are
stored, each worker polls with its one thread, and after one worker is
killed its source is leased and polled again by the other. No timings are
checked here. Starting the processes takes the better part of a minute on
a busy machine, so it runs with the soak (`make long`, which CI runs after
`make test`)."""

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.soak]
BENCH = Path(__file__).resolve().parents[2] / "bench" / "workers.py"


@pytest.fixture
def bench(postgres_url, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_workers", BENCH)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_workers", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(180)
def test_the_bench_measures_two_workers_and_a_take_over(bench, capsys):
    [result] = bench.main(["--workers", "2", "--threads", "1", "--sources", "3", "--rate", "6", "--warmup", "3",
                           "--seconds", "3", "--latency-ms", "0-20"])

    assert (result.workers, result.threads, len(result.polls_per_worker)) == (2, 1, 2)
    assert result.polls_per_second > 0 and result.ratio_to_one is None
    assert result.posted_per_second > 0 and result.lag_p50 is not None
    assert result.sources_of_killed == 1
    assert isinstance(result.takeover_all, float) and result.takeover_all >= result.takeover_polled
    assert isinstance(result.takeover_leased, float) and result.takeover_polled >= result.takeover_leased >= 0
    assert "| 2 |" in capsys.readouterr().out
