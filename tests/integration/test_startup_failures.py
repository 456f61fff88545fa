"""A start-up that cannot go on says why and what to do, in a line or two,
with exit code 2 and no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def closeloop(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CLOSELOOP_")}
    return subprocess.run([sys.executable, "-m", "closeloop", *args], env={**environment, **(env or {})},
                          capture_output=True, text=True, timeout=60, cwd=cwd)


def refused(result) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


@pytest.fixture
def busy_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize("url", ["bogus", "notaurl", "mysql://closeloop:hunter2@db/closeloop"])
def test_a_database_url_closeloop_cannot_use_is_refused_naming_the_key_and_what_is_allowed(tmp_path, url):
    message = refused(closeloop("migrate", env={"CLOSELOOP_DATABASE_URL": url}, cwd=tmp_path))
    assert "database.url" in message
    assert "allowed: sqlite:///PATH or postgresql+psycopg://" in message
    assert "hunter2" not in message


def test_an_unreachable_postgresql_says_what_happened_and_what_to_do(tmp_path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"postgresql+psycopg://closeloop:hunter2@127.0.0.1:{port}/closeloop"
    message = refused(closeloop("worker", env={"CLOSELOOP_DATABASE_URL": url}, cwd=tmp_path))
    assert f"cannot reach the PostgreSQL database 'closeloop' at 127.0.0.1:{port}" in message
    assert "Start PostgreSQL or fix database.url (CLOSELOOP_DATABASE_URL)" in message
    assert "hunter2" not in message
    assert len(message.strip().splitlines()) <= 2


@pytest.mark.postgres
def test_a_postgresql_database_that_does_not_exist_is_to_be_created(tmp_path, postgres_url):
    """The server answers: starting PostgreSQL, as the general advice says, would not help."""
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url).set(database="closeloop_never_created")
    message = refused(closeloop("migrate", env={"CLOSELOOP_DATABASE_URL": url.render_as_string(False)}, cwd=tmp_path))
    assert 'database "closeloop_never_created" does not exist' in message
    assert f"Create it (`createdb -O {url.username} closeloop_never_created`" in message
    assert "Start PostgreSQL" not in message
    assert len(message.strip().splitlines()) <= 2


def test_a_sqlite_file_in_a_missing_folder_is_named(tmp_path):
    url = f"sqlite:///{tmp_path}/missing/closeloop.db"
    message = refused(closeloop("migrate", env={"CLOSELOOP_DATABASE_URL": url}, cwd=tmp_path))
    assert f"cannot open the SQLite database {tmp_path}/missing/closeloop.db" in message
    assert "Check that its folder exists" in message


def test_serve_names_a_busy_port_and_how_to_choose_another(tmp_path, busy_port):
    env = {"CLOSELOOP_DATABASE_URL": f"sqlite:///{tmp_path}/c.db", "CLOSELOOP_WEB__SECRET_KEY": "k" * 32}
    message = refused(closeloop("serve", "--workers", "2", "--port", str(busy_port), env=env, cwd=tmp_path))
    assert f"web port {busy_port} on 127.0.0.1 is in use" in message
    assert "closeloop serve --port P, or web.port (CLOSELOOP_WEB__PORT)" in message


def test_the_demo_names_a_busy_port_before_it_starts_anything(tmp_path, busy_port):
    message = refused(closeloop("demo", "--port", str(busy_port), "--data-dir", str(tmp_path / "demo"),
                                cwd=tmp_path))
    assert f"web port {busy_port} on 127.0.0.1 is in use" in message
    assert "closeloop demo --port P" in message
    assert "admin@demo.local" not in message


def test_serve_refuses_several_processes_without_a_secret_key(tmp_path):
    message = refused(closeloop("serve", "--workers", "3", env={"CLOSELOOP_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"},
                                cwd=tmp_path))
    assert "web.secret_key is not set, and 3 web processes" in message
    assert "Run `closeloop init`" in message and "CLOSELOOP_WEB__SECRET_KEY" in message


@pytest.mark.parametrize("key, allowed", [
    ("CLOSELOOP_WEB__REQUEST_TIMEOUT_SECONDS", "web.request_timeout_seconds = '600': Input should be less than "
                                               "or equal to 300"),
    ("CLOSELOOP_LISTENER__REQUEST_TIMEOUT_SECONDS", "listener.request_timeout_seconds = '600': Input should be "
                                                    "less than or equal to 120"),
])
def test_an_absurd_timeout_is_refused_with_the_allowed_range(tmp_path, key, allowed):
    message = refused(closeloop("migrate", env={key: "600"}, cwd=tmp_path))
    assert allowed in message


def test_settings_that_contradict_each_other_are_refused_naming_both(tmp_path):
    message = refused(closeloop("migrate", env={"CLOSELOOP_OUTBOX__STALE_SEND_SECONDS": "10"}, cwd=tmp_path))
    assert "outbox.stale_send_seconds (10) must be longer than listener.request_timeout_seconds (15)" in message


def test_run_names_a_metrics_token_whose_variable_is_not_set(tmp_path):
    env = {"CLOSELOOP_DATABASE_URL": f"sqlite:///{tmp_path}/c.db", "CLOSELOOP_METRICS__TOKEN": "env:UNSET_TOKEN"}
    message = refused(closeloop("run", env=env, cwd=tmp_path))
    assert "metrics.token: environment variable UNSET_TOKEN is not set" in message
    assert "leave metrics.token empty" in message
    assert len(message.strip().splitlines()) <= 2


@pytest.mark.parametrize("verbose", [False, True])
def test_verbose_shows_the_traceback_behind_a_start_up_failure(tmp_path, verbose):
    url = f"sqlite:///{tmp_path}/missing/closeloop.db"
    result = closeloop(*(["-v"] if verbose else []), "migrate", env={"CLOSELOOP_DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 2
    assert ("Traceback" in result.stderr) is verbose
    assert "sqlalchemy" in result.stderr.lower() if verbose else len(result.stderr.strip().splitlines()) <= 2
    assert result.stderr.rstrip().endswith("or set database.url (CLOSELOOP_DATABASE_URL).")


@pytest.mark.parametrize("command", ["run", "worker"])
def test_a_webhook_secret_whose_variable_is_not_set_stops_start_up(tmp_path, command):
    config = tmp_path / "closeloop.toml"
    config.write_text('[[webhooks]]\nname = "crm"\nurl = "https://crm.example/hook"\nsecret = "env:UNSET_CRM_SECRET"\n')
    env = {"CLOSELOOP_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    message = refused(closeloop("--config", str(config), command, env=env, cwd=tmp_path))
    assert "webhooks.crm.secret: environment variable UNSET_CRM_SECRET is not set" in message
    assert "set enabled = false on the webhook 'crm'" in message
    assert len(message.strip().splitlines()) <= 2


@pytest.mark.parametrize("command", ["run", "worker"])
@pytest.mark.parametrize("setting, key, otherwise", [
    ('[teams.care]\nslack_webhook = "env:UNSET_SLACK_HOOK"\n', "teams.care.slack_webhook",
     "remove teams.care.slack_webhook"),
    ('[alerts]\nslack_token = "env:UNSET_SLACK_HOOK"\n', "alerts.slack_token", "remove alerts.slack_token"),
    ('[alerts]\nsmtp_user = "closeloop"\nsmtp_password = "env:UNSET_SLACK_HOOK"\n', "alerts.smtp_password",
     "remove alerts.smtp_user"),
])
def test_an_alert_secret_whose_variable_is_not_set_stops_start_up(tmp_path, command, setting, key, otherwise):
    """Otherwise the first breach's alert is what finds it, retried in the log."""
    config = tmp_path / "closeloop.toml"
    config.write_text(setting)
    env = {"CLOSELOOP_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    message = refused(closeloop("--config", str(config), command, env=env, cwd=tmp_path))
    assert f"{key}: environment variable UNSET_SLACK_HOOK is not set" in message
    assert otherwise in message
    assert len(message.strip().splitlines()) <= 2


@pytest.mark.parametrize("command", ["run", "worker", "check-accounts"])
def test_a_misspelt_account_key_stops_start_up_naming_the_key_it_meant(tmp_path, command):
    """Otherwise the source is found broken at its first poll, its credential missing."""
    config = tmp_path / "closeloop.toml"
    config.write_text('[accounts.acme_x]\nplatform = "x"\nconsumer_keys = "env:X_KEY"\n'
                      '[[sources]]\nname = "x-mentions"\naccount = "acme_x"\nkind = "mentions"\n')
    env = {"CLOSELOOP_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    message = refused(closeloop("--config", str(config), command, env=env, cwd=tmp_path))
    assert "accounts.acme_x.consumer_keys is no key of an account on X." in message
    assert "did you mean consumer_key? Its keys are: bearer_token, consumer_key," in message
    assert len(message.strip().splitlines()) <= 2


def test_every_account_key_of_the_documented_configs_is_one_its_platform_takes():
    """The examples people copy from are never refused at start."""
    import re
    import tomllib

    from connectors.registry import account_keys

    root = Path(__file__).resolve().parents[2]
    blocks = [(root / "deploy" / "closeloop.toml").read_text()] + re.findall(
        r"```toml\n(.*?)```", (root / "docs" / "configuration-guide.md").read_text(), re.S)
    accounts = [account for block in blocks for account in tomllib.loads(block).get("accounts", {}).values()]
    assert len(accounts) >= 3
    for account in accounts:
        other = set(account) - {"platform", "base_url", "post_page", "request_budget", "budget_window_seconds"}
        assert other <= set(account_keys(account["platform"])), account["platform"]
