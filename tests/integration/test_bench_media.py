"""bench/media.py runs end to end at a small size: posts with and without
media through the pipeline, and a file fetched directly and through the
media proxy. No timings are checked here."""

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "media.py"


def test_the_bench_measures_the_pipeline_and_the_proxy(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("bench_media", BENCH)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_media", module)
    spec.loader.exec_module(module)

    module.main(["--mentions", "100", "--customers", "50", "--rounds", "1", "--fetches", "3", "--kilobytes", "10"])

    printed = capsys.readouterr().out
    assert "posts with a photo and a video" in printed
    assert "proxied / direct:" in printed
