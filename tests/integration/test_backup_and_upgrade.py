"""`closeloop backup` round trip on SQLite, and `closeloop migrate`:
what it says it did, and refusing a schema newer than the code."""

from __future__ import annotations

import shutil

import logging

import click
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from closeloop.cli import _runtime

from store.db import Database, alembic_config
from store.models import Agent
from tests.integration.test_cli import config_file, run_cli

ADMIN = ("init", "--admin-email", "boss@example.com", "--admin-password", "a long passphrase")


def test_a_backup_restored_by_copying_brings_the_data_back(tmp_path):
    path = config_file(tmp_path)
    assert run_cli("--config", str(path), *ADMIN).exit_code == 0
    backup = tmp_path / "saved.db"

    result = run_cli("--config", str(path), "backup", str(backup))

    assert result.exit_code == 0, result.output
    assert f"database backed up to {backup}" in result.output
    live = tmp_path / "closeloop.db"
    live.unlink()
    shutil.copy(backup, live)
    with Database(f"sqlite:///{live}").transaction() as session:
        assert session.scalar(select(Agent.email)) == "boss@example.com"
    assert run_cli("--config", str(path), "migrate").exit_code == 0


def test_a_backup_never_overwrites_a_file(tmp_path):
    path = config_file(tmp_path)
    assert run_cli("--config", str(path), "migrate").exit_code == 0
    existing = tmp_path / "saved.db"
    existing.write_text("keep me")

    result = run_cli("--config", str(path), "backup", str(existing))

    assert result.exit_code == 1 and "exists already" in result.output
    assert existing.read_text() == "keep me"


def test_a_postgresql_backup_points_to_pg_dump(tmp_path):
    path = tmp_path / "closeloop.toml"
    path.write_text('[database]\nurl = "postgresql+psycopg://care@db.example.com/closeloop"\n')

    result = run_cli("--config", str(path), "backup", str(tmp_path / "saved.db"))

    assert result.exit_code == 1 and "pg_dump" in result.output


def test_migrate_says_from_which_revision_to_which(tmp_path):
    path = config_file(tmp_path)
    url = f"sqlite:///{tmp_path}/closeloop.db"
    head = ScriptDirectory.from_config(alembic_config(url)).get_revision("head")
    command.upgrade(alembic_config(url), head.down_revision)

    upgraded = run_cli("--config", str(path), "migrate")
    again = run_cli("--config", str(path), "migrate")

    assert upgraded.output.strip() == f"database migrated from revision {head.down_revision} to {head.revision}"
    assert again.output.strip() == f"database is up to date (revision {head.revision})"
    (tmp_path / "new").mkdir()
    created = run_cli("--config", str(config_file(tmp_path / "new")), "migrate")
    assert created.output.strip() == f"database created at revision {head.revision}"


def test_a_worker_that_migrates_at_start_says_so_in_its_log(tmp_path, caplog):
    """A worker restarted after an install migrates by itself: the log is
    where the operator sees it happened."""
    path = config_file(tmp_path)
    url = f"sqlite:///{tmp_path}/closeloop.db"
    head = ScriptDirectory.from_config(alembic_config(url)).get_revision("head")
    command.upgrade(alembic_config(url), head.down_revision)
    context = click.Context(click.Command("worker"), obj={"config": str(path), "verbose": False})

    with caplog.at_level(logging.INFO, logger="closeloop"):
        _runtime(context).stop()
        _runtime(context).stop()

    said = [record.getMessage() for record in caplog.records if record.name == "closeloop"]
    assert said == [f"database migrated from revision {head.down_revision} to {head.revision}"]


def test_migrate_refuses_a_schema_newer_than_the_code_and_changes_nothing(tmp_path):
    path = config_file(tmp_path)
    assert run_cli("--config", str(path), "migrate").exit_code == 0
    db = Database(f"sqlite:///{tmp_path}/closeloop.db")
    with db.transaction() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '9999'"))

    result = run_cli("--config", str(path), "migrate")

    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "Error: the database schema (revision 9999) is newer than this closeloop: nothing was changed; run the "
        "closeloop that migrated it, or restore the backup taken before that upgrade."]
    with db.transaction() as session:
        assert session.scalar(text("SELECT version_num FROM alembic_version")) == "9999"
