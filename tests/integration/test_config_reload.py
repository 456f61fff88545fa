"""Sources are added, paused and removed by editing the config file, without
a restart."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from closeloop.runtime import Runtime
from config import load_settings
from store.models import Source

ACCOUNT = '[accounts.acme_x]\nplatform = "x"\nbearer_token = "t"\nuser_id = "1"\n'


def source(name: str, *, enabled: bool = True, poll_seconds: int = 60) -> str:
    return (f'[[sources]]\nname = "{name}"\naccount = "acme_x"\nkind = "mentions"\n'
            f'poll_seconds = {poll_seconds}\nenabled = {str(enabled).lower()}\n')


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "closeloop.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/c.db"\n{ACCOUNT}{source("first")}')
    return path


@pytest.fixture
def runtime(config):
    runtime = Runtime(load_settings(config, env={}), config_path=str(config))
    runtime.db.migrate()
    runtime.polling.install()
    yield runtime
    runtime.stop()


def rewrite(path, text):
    before = path.stat().st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


def polled(runtime):
    """The enabled sources and their intervals, which every worker polls from."""
    with runtime.db.transaction() as session:
        return {s.name: s.poll_seconds for s in session.scalars(select(Source).where(Source.enabled.is_(True)))}


def test_a_source_added_to_the_file_is_polled_without_a_restart(runtime, config):
    assert polled(runtime) == {"first": 60}
    text = config.read_text()
    rewrite(config, text + source("second", poll_seconds=30))
    runtime.reload_config()
    assert polled(runtime) == {"first": 60, "second": 30}


def test_a_paused_or_removed_source_stops_being_polled(runtime, config):
    text = config.read_text()
    rewrite(config, text + source("second"))
    runtime.reload_config()
    rewrite(config, text.replace("enabled = true", "enabled = false") + source("second"))
    runtime.reload_config()
    assert polled(runtime) == {"second": 60}
    rewrite(config, text.replace("enabled = true", "enabled = false"))
    runtime.reload_config()
    assert polled(runtime) == {}


def test_a_changed_interval_is_what_the_workers_poll_by(runtime, config):
    rewrite(config, config.read_text().replace("poll_seconds = 60", "poll_seconds = 15"))
    runtime.reload_config()
    assert polled(runtime) == {"first": 15}


def test_an_invalid_edit_is_reported_and_the_running_config_kept(runtime, config, caplog):
    rewrite(config, config.read_text().replace("poll_seconds = 60", 'poll_seconds = "often"'))
    runtime.reload_config()
    assert "the config file changed but is not valid" in caplog.text
    assert "sources.0.poll_seconds = 'often'" in caplog.text
    assert polled(runtime) == {"first": 60}


def test_a_source_of_a_kind_its_platform_lacks_is_refused_and_the_running_config_kept(runtime, config, caplog):
    rewrite(config, config.read_text() + source("second").replace('kind = "mentions"', 'kind = "page_posts"'))
    runtime.reload_config()
    assert "source 'second': kind 'page_posts' is not one of x's" in caplog.text
    assert polled(runtime) == {"first": 60}


def test_changed_credentials_rebuild_the_accounts_connector(runtime, config):
    first = runtime.connectors.for_account("acme_x", "x")
    assert runtime.connectors.for_account("acme_x", "x") is first
    rewrite(config, config.read_text().replace('bearer_token = "t"', 'bearer_token = "t2"'))
    runtime.reload_config()
    assert runtime.connectors.for_account("acme_x", "x") is not first


def test_the_web_app_sees_accounts_added_to_the_file(runtime, config):
    app = runtime.web_app()
    rewrite(config, config.read_text() + '[accounts.shop]\nplatform = "reviews"\n')
    runtime.reload_config()
    assert "shop" in app.extensions["closeloop"].settings.accounts
