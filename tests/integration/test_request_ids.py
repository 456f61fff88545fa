"""Every web request has an id: in the response and in the JSON log lines
written while it is answered."""

import io
import json
import logging

import pytest

from telemetry.logs import JsonLines, request_id
from tests.integration.web_helpers import make_world


@pytest.fixture
def json_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("closeloop.test.requests")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger, stream
    logger.removeHandler(handler)


def _app_that_logs(world, logger):
    app = world.app

    @app.get("/_logs_a_line")
    def logs_a_line():
        logger.info("answering")
        return "ok"

    return app.test_client()


def test_a_request_gets_a_new_id_in_its_response_and_its_log_lines(sqlite_db, clock, json_log):
    logger, stream = json_log
    client = _app_that_logs(make_world(sqlite_db, clock), logger)

    first = client.get("/_logs_a_line")
    second = client.get("/_logs_a_line")

    ids = [first.headers["X-Request-Id"], second.headers["X-Request-Id"]]
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["request_id"] for line in lines] == ids
    assert ids[0] != ids[1] and all(len(value) == 32 for value in ids)
    assert request_id.get() is None


def test_the_proxys_id_is_kept_and_a_malformed_one_replaced(sqlite_db, clock, json_log):
    logger, stream = json_log
    client = _app_that_logs(make_world(sqlite_db, clock), logger)

    kept = client.get("/_logs_a_line", headers={"X-Request-Id": "7f3a-nginx.1"})
    replaced = client.get("/_logs_a_line", headers={"X-Request-Id": 'x" {"level": "forged"}'})

    assert kept.headers["X-Request-Id"] == "7f3a-nginx.1"
    assert replaced.headers["X-Request-Id"] not in ("", 'x" {"level": "forged"}')
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["request_id"] for line in lines] == ["7f3a-nginx.1", replaced.headers["X-Request-Id"]]
    assert all(line["level"] == "info" for line in lines)


def test_a_log_line_outside_a_request_has_no_request_id(json_log):
    logger, stream = json_log

    logger.info("polling")

    assert "request_id" not in json.loads(stream.getvalue())
