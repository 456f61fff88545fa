"""The closeloop command: start-up checks, init, migrate, poll, run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import select

from closeloop.cli import main
from config import SystemClock, load_settings
from listener.polling import sync_sources
from listener.source_leases import SourceLeases
from store.db import Database
from store.models import Agent, Mention, Source


def config_file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "closeloop.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/closeloop.db"\n{extra}')
    return path


OAUTH = 'consumer_key = "k"\nconsumer_secret = "s"\naccess_token = "t"\naccess_token_secret = "ts"'


def x_source(emulator_url: str, credentials: str = OAUTH) -> str:
    """An X account on the emulator and its mentions source, as TOML."""
    return (f'[accounts.acme_x]\nplatform = "x"\nbase_url = "{emulator_url}"\n{credentials}\n\n'
            '[[sources]]\nname = "x-mentions"\naccount = "acme_x"\nkind = "mentions"\n')


def run_cli(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_a_bad_config_stops_start_up_with_the_key_and_the_reason(tmp_path):
    path = config_file(tmp_path, "[web]\nport = 99999\n")
    result = run_cli("--config", str(path), "migrate")
    assert result.exit_code == 2
    assert "web.port = 99999: Input should be less than or equal to 65535" in result.output


def test_init_migrates_and_creates_the_first_admin_once(tmp_path):
    path = config_file(tmp_path)
    first = run_cli("--config", str(path), "init", "--admin-email", "Boss@Example.com",
                    "--admin-password", "s3cret-pass")
    assert first.exit_code == 0, first.output
    assert "admin boss@example.com created" in first.output
    db = Database(f"sqlite:///{tmp_path}/closeloop.db")
    with db.transaction() as session:
        admin = session.scalar(select(Agent))
        assert (admin.email, admin.role) == ("boss@example.com", "admin")
        assert "s3cret-pass" not in admin.password_hash
    again = run_cli("--config", str(path), "init", "--admin-email", "other@example.com",
                    "--admin-password", "x")
    assert again.exit_code == 1
    assert "agents exist already" in again.output and "nothing to do" in again.output


@pytest.mark.parametrize("password, reason", [
    ("short", "at least 10 characters"),
    ("boss@example.com", "does not contain your email"),
    ("qwertyuiop", "most common"),
])
def test_init_refuses_one_of_the_worst_passwords_and_creates_no_admin(tmp_path, password, reason):
    path = config_file(tmp_path)
    result = run_cli("--config", str(path), "init", "--admin-email", "boss@example.com", "--admin-password", password)
    assert result.exit_code == 1
    assert "the admin password is refused" in result.output and reason in result.output
    with Database(f"sqlite:///{tmp_path}/closeloop.db").transaction() as session:
        assert session.scalar(select(Agent)) is None


def test_init_writes_a_secret_key_into_the_config_file_once(tmp_path):
    path = config_file(tmp_path, '\n[web]\nport = 8010\nsecret_key = ""\n')
    result = run_cli("--config", str(path), "init", "--admin-email", "boss@example.com", "--admin-password", "a long passphrase")
    assert result.exit_code == 0, result.output
    assert f"web.secret_key written into {path}" in result.output
    settings = load_settings(path)
    assert len(settings.web.secret_key) == 64 and settings.web.port == 8010
    assert path.read_text().count("\nsecret_key = ") == 1


def test_init_adds_the_web_table_when_the_config_file_has_none(tmp_path):
    path = config_file(tmp_path)
    assert run_cli("--config", str(path), "init", "--admin-email", "a@example.com",
                   "--admin-password", "a long passphrase").exit_code == 0
    assert len(load_settings(path).web.secret_key) == 64


def test_init_on_a_database_with_agents_writes_the_missing_secret_key_and_creates_no_admin(tmp_path):
    """The secret-key errors send operators to `closeloop init`, which must
    then write the key on a store that has its admin already."""
    path = config_file(tmp_path, '\n[web]\nsecret_key = ""\n')
    run_cli("--config", str(path), "init", "--admin-email", "boss@example.com", "--admin-password", "a long passphrase")
    path.write_text(path.read_text().replace(f'secret_key = "{load_settings(path).web.secret_key}"', 'secret_key = ""'))
    result = run_cli("--config", str(path), "init")
    assert result.exit_code == 0, result.output
    assert f"web.secret_key written into {path}" in result.output
    assert "agents exist already, so no admin was created" in result.output
    assert len(load_settings(path).web.secret_key) == 64
    with Database(f"sqlite:///{tmp_path}/closeloop.db").transaction() as session:
        assert [agent.email for agent in session.scalars(select(Agent))] == ["boss@example.com"]


def test_init_keeps_a_secret_key_that_is_set(tmp_path):
    path = config_file(tmp_path, '\n[web]\nsecret_key = "kept-as-it-is-a-key-of-forty-characters!"\n')
    result = run_cli("--config", str(path), "init", "--admin-email", "a@example.com", "--admin-password", "a long passphrase")
    assert result.exit_code == 0, result.output
    assert "secret_key written" not in result.output
    assert load_settings(path).web.secret_key == "kept-as-it-is-a-key-of-forty-characters!"


def test_init_without_a_config_file_or_a_secret_key_refuses_and_creates_no_admin(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLOSELOOP_CONFIG", raising=False)
    monkeypatch.setenv("CLOSELOOP_DATABASE_URL", f"sqlite:///{tmp_path}/closeloop.db")
    result = run_cli("init", "--admin-email", "a@example.com", "--admin-password", "a long passphrase")
    assert result.exit_code == 2
    assert "no config file to write one into" in result.output and "CLOSELOOP_WEB__SECRET_KEY" in result.output
    with Database(f"sqlite:///{tmp_path}/closeloop.db").transaction() as session:
        assert session.scalar(select(Agent)) is None


def test_init_prompts_for_what_it_is_not_given(tmp_path):
    path = config_file(tmp_path)
    result = run_cli("--config", str(path), "init", input="lead@example.com\na long passphrase\na long passphrase\n")
    assert result.exit_code == 0, result.output
    assert "admin lead@example.com created" in result.output


def test_poll_fetches_a_source_now_and_reports_what_came_in(tmp_path, emulator):
    requests.post(f"{emulator.url}/_emulator/x/posts", timeout=5, json={
        "author": {"handle": "tom", "name": "Tom", "followers": 5}, "text": "Refund still missing, awful!"})
    path = config_file(tmp_path, x_source(emulator.url))
    run_cli("--config", str(path), "migrate")
    result = run_cli("--config", str(path), "poll")
    assert result.exit_code == 0, result.output
    assert "x-mentions: 1 new, 0 seen before, 1 ticket(s) raised" in result.output
    again = run_cli("--config", str(path), "poll", "x-mentions")
    assert "x-mentions: 0 new" in again.output
    with Database(f"sqlite:///{tmp_path}/closeloop.db").transaction() as session:
        assert len(session.scalars(select(Mention)).all()) == 1
        assert session.scalar(select(Source.cursor)) is not None


def test_poll_reports_a_broken_source_and_fails(tmp_path, emulator):
    requests.post(f"{emulator.url}/_emulator/faults", timeout=5, json={"platform": "x", "status": 401, "count": 5})
    path = config_file(tmp_path, x_source(emulator.url, credentials='bearer_token = "nope"\nuser_id = "1"'))
    run_cli("--config", str(path), "migrate")
    result = CliRunner().invoke(main, ["--config", str(path), "poll"])
    assert result.exit_code == 1
    assert "x-mentions: broken" in result.output
    assert "401" in result.output


def test_poll_names_an_unknown_source(tmp_path):
    path = config_file(tmp_path)
    run_cli("--config", str(path), "migrate")
    result = run_cli("--config", str(path), "poll", "nope")
    assert result.exit_code == 1
    assert "no enabled source named 'nope'" in result.output


def test_poll_does_not_migrate_but_says_to(tmp_path, emulator):
    path = config_file(tmp_path, x_source(emulator.url))
    result = run_cli("--config", str(path), "poll")
    assert result.exit_code == 1
    assert "run `closeloop migrate` first" in result.output
    database = Database(f"sqlite:///{tmp_path}/closeloop.db")
    assert not database.schema_is_current()
    with database.engine.connect() as connection:
        assert not connection.dialect.has_table(connection, "sources")


def test_poll_leaves_a_source_to_the_worker_polling_it(tmp_path, emulator, postgres_db):
    requests.post(f"{emulator.url}/_emulator/x/posts", timeout=5, json={
        "author": {"handle": "tom", "name": "Tom", "followers": 5}, "text": "Refund still missing, awful!"})
    path = tmp_path / "closeloop.toml"
    path.write_text(f'[database]\nurl = "{postgres_db.url}"\n{x_source(emulator.url)}')
    worker = SourceLeases(postgres_db, seconds=600, holder="worker-host:1")
    with postgres_db.transaction() as session:
        [source] = sync_sources(session, load_settings(path, env={}), SystemClock().now())
        assert worker.take(session, source.id, SystemClock().now())

    result = run_cli("--config", str(path), "poll")

    assert result.exit_code == 0
    assert "x-mentions: a worker is polling it right now; left to it" in result.output
    with postgres_db.transaction() as session:
        assert session.scalars(select(Mention)).all() == []
        worker.give_back(session.get(Source, source.id))
    assert "x-mentions: 1 new" in run_cli("--config", str(path), "poll").output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_serves_the_web_app_and_the_scheduler_in_one_process(tmp_path, emulator):
    port = free_port()
    path = config_file(tmp_path, x_source(emulator.url) + "poll_seconds = 1\n")
    env = {**os.environ, "CLOSELOOP_CONFIG": str(path)}
    process = subprocess.Popen([sys.executable, "-m", "closeloop", "run", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        health = None
        # A generous deadline: on a loaded machine the process takes seconds to start.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                if health.json()["sources"][0]["status"] == "ok":
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        assert health is not None and health.status_code == 200, f"exit code {process.poll()}"
        body = health.json()
        assert body["scheduler"]["running"] is True
        assert {job["id"] for job in body["scheduler"]["jobs"]} >= {"poll-due", "outbox", "route-waiting"}
        assert body["scheduler"]["once_only_jobs"] is True
        assert body["sources"][0]["name"] == "x-mentions"
        assert body["sources"][0]["status"] == "ok"
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert process.returncode == 0, output
    assert "Traceback" not in output


def test_the_readme_quick_starts_command_runs_from_the_virtualenv():
    """The README says `.venv/bin/closeloop demo --help`: the command sits beside the interpreter."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert "`.venv/bin/closeloop demo --help`" in readme
    done = subprocess.run([str(Path(sys.executable).parent / "closeloop"), "demo", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and "--emulator-port" in done.stdout
