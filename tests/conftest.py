"""Shared fixtures: the database on SQLite and PostgreSQL, settings, a movable
clock, the platform emulator, recorders of HTTP timeouts and sleeps (so no
test needs to time anything), and a guard that fails any test trying to
reach beyond this machine. Work every test would repeat is done once per
run: migrations, the emulator's server, template compiling; passwords are
hashed without scrypt's deliberate slowness."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from flask import Flask
from jinja2 import FileSystemBytecodeCache
from sqlalchemy import create_engine, text
from werkzeug.routing.rules import Rule
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from config import FrozenClock, load_settings
from store.db import Database
from store.models import Base
from tests import TEST_SECRET_KEY

POSTGRES_ADMIN_URL = os.environ.get(
    "CLOSELOOP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _is_local(address) -> bool:
    if not isinstance(address, tuple):
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self, address):
    if not _is_local(address):
        raise ConnectionRefusedError(f"tests may not reach {address!r}: only this machine is allowed")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _is_local(address):
        raise ConnectionRefusedError(f"tests may not reach {address!r}: only this machine is allowed")
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashes():
    """Agents get real password hashes, checked the usual way, without the
    deliberate slowness (a twentieth of a second or more for each agent and
    each sign-in, which a thousand tests would pay)."""
    def quick_hash(password: str) -> str:
        return generate_password_hash(password, method="pbkdf2:sha256:1")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("store.accounts.generate_password_hash", quick_hash)
        yield


@pytest.fixture(scope="session", autouse=True)
def templates_compiled_once(tmp_path_factory):
    """Each test builds web apps of its own, and each app's Jinja environment
    would compile again every template it renders; one bytecode cache for
    all of them compiles each template once (a changed one anew)."""
    cache = FileSystemBytecodeCache(str(tmp_path_factory.mktemp("templates")))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Flask, "jinja_options", {**Flask.jinja_options, "bytecode_cache": cache})
        yield


@pytest.fixture(scope="session", autouse=True)
def url_rules_compiled_once():
    """Werkzeug compiles, for every URL rule of every new app, a function
    that builds its URLs, with Python's compiler: about half of what building
    the app costs, and tests build thousands of apps from the same rules. The
    function depends only on the rule's parsed parts, so each is compiled once
    and reused (bound to each new rule as werkzeug binds it)."""
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:
        yield
        return
    compiled = {}

    def compiled_once(rule, append_unknown=True):
        key = (rule.rule, rule.host, rule.subdomain, repr(sorted((rule.defaults or {}).items())),
               tuple(rule._trace), append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(rule, append_unknown)
        return compiled[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Rule, "_compile_builder", compiled_once)
        yield


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def settings():
    return load_settings(env={}, overrides={"web": {"secret_key": TEST_SECRET_KEY}})


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """Migrated once; each test gets a copy, which is far faster than
    migrating again."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    database.migrate()
    database.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url():
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        reason = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error.__class__.__name__}"
        if IN_CI:
            pytest.fail(reason + " (CI must run the PostgreSQL tests)")
        pytest.skip(reason)
    name = f"closeloop_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        # Tests never need a commit to survive a crash: not waiting for the disk saves time.
        connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    database.migrate()
    database.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# Deleting the few rows a test leaves, children first, and restarting the
# id sequences takes a millisecond; TRUNCATE takes fifty or more.
EMPTY_POSTGRES = " ".join(
    [f'DELETE FROM "{table.name}";' for table in reversed(Base.metadata.sorted_tables)]
    + ["SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S' AND relnamespace = current_schema()::regnamespace;"])


@pytest.fixture
def postgres_db(postgres_url):
    """The PostgreSQL test database, emptied after the test."""
    database = Database(postgres_url)
    yield database
    with database.engine.begin() as connection:
        connection.exec_driver_sql(EMPTY_POSTGRES)
    database.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request):
    """A migrated, empty database: each test runs once on each engine."""
    return request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "postgres_db")


@pytest.fixture
def sqlite_db(tmp_path, sqlite_template):
    path = tmp_path / "closeloop.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


class SharedEmulator:
    """One server for the whole session, serving whichever emulator app the
    current test was given: stopping a server waits out its poll interval,
    and tests would pay that hundreds of times."""

    def __init__(self):
        self.app = None
        self._server = make_server("127.0.0.1", 0, self, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, name="emulator", daemon=True).start()

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="session")
def shared_emulator():
    emulator = SharedEmulator()
    yield emulator
    emulator.stop()


@pytest.fixture
def emulator(shared_emulator):
    """The platform emulator, fresh for this test (no posts, faults or call log
    from earlier tests); its `url` stays the same all session."""
    from connectors.emulator.app import create_app

    shared_emulator.app = create_app(brand_handle="acme", brand_name="Acme")
    return shared_emulator


@pytest.fixture
def http_timeouts(monkeypatch):
    """The timeout of every HTTP call sent through requests, in order."""
    timeouts = []
    send = requests.adapters.HTTPAdapter.send

    def recording_send(adapter, request, *args, **kwargs):
        timeouts.append(kwargs.get("timeout"))
        return send(adapter, request, *args, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", recording_send)
    return timeouts


@pytest.fixture
def sleeps(monkeypatch):
    """The seconds of every time.sleep call, in any thread; each still sleeps."""
    slept = []
    sleep = time.sleep

    def recording_sleep(seconds):
        slept.append(seconds)
        sleep(seconds)

    monkeypatch.setattr(time, "sleep", recording_sleep)
    return slept


def pytest_runtest_setup(item):
    """A test marked shared_data is skipped without the shared labelled
    data (../shared/data), and fails without it in CI, which must have it."""
    needed = SHARED_DATA / "customer-care" / "airline_dev.csv"
    if item.get_closest_marker("shared_data") and not needed.exists():
        reason = f"needs the shared labelled data: {needed} is missing"
        if IN_CI:
            pytest.fail(reason + " (CI must have it)")
        pytest.skip(reason)


@pytest.fixture
def shared_data(request):
    """Where the shared labelled data is, for tests marked shared_data."""
    if request.node.get_closest_marker("shared_data") is None:
        pytest.fail("a test that reads the shared labelled data is marked @pytest.mark.shared_data")
    return SHARED_DATA
