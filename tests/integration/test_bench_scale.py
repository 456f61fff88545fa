"""bench/scale.py runs end to end at a small size: it fills a database of
its own with COPY, reuses it when asked again, and every page it times
answers 200, in the app and over HTTP. No timings are checked here."""

import importlib.util
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES_ADMIN_URL

pytestmark = [pytest.mark.postgres, pytest.mark.long]
BENCH = Path(__file__).resolve().parents[2] / "bench" / "scale.py"


@pytest.fixture
def bench(postgres_url, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_scale", BENCH)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_scale", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def database_name():
    name = f"closeloop_test_scale_{uuid.uuid4().hex[:8]}"
    yield name
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_scale_bench_fills_its_database_and_times_every_page(bench, database_name, capsys):
    args = ["--tickets", "300", "--database", database_name, "--admin-url", POSTGRES_ADMIN_URL, "--samples", "1"]

    timings = bench.main(args)
    first = capsys.readouterr().out
    bench.main([*args, "--no-http", "--no-plans"])
    again = capsys.readouterr().out

    assert f"{database_name}: wrote 300 tickets with COPY" in first
    assert f"{database_name}: reused 300 tickets" in again
    assert {t.where for t in timings} == {"app", "http"}
    assert {t.page for t in timings} >= {"inbox (all open)", "ticket page", "dashboard 30 days", "report now",
                                         "api tickets search common word", "inbox search no match"}
    assert any(t.page.startswith("api tickets cursor") for t in timings)
    assert [t.page for t in timings if t.status != 200] == []
    assert "== inbox (all open)" in first and "Execution Time" in first
