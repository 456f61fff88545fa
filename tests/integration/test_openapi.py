"""GET /api/v1/openapi.json describes every route under /api/v1, and only
those: a route added without its entry in web.openapi.OPERATIONS fails here."""

import re

import pytest

from config import FrozenClock
from store.db import Database
from tests.integration.web_helpers import make_world

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The routes and the description need no rows: an unmigrated database will do."""
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('openapi')}/closeloop.db")
    yield make_world(database, FrozenClock()).app
    database.dispose()


@pytest.fixture(scope="module")
def description(app):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def openapi_path(rule: str) -> str:
    """Flask's `<int:ticket_id>` (or `<ticket_id>`) as OpenAPI's `{ticket_id}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def routes(app) -> set[tuple[str, str]]:
    return {(method.lower(), openapi_path(rule.rule))
            for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
            for method in rule.methods - IGNORED_METHODS}


def described(description) -> set[tuple[str, str]]:
    return {(method, path) for path, operations in description["paths"].items() for method in operations}


def operations(description):
    for path, by_method in description["paths"].items():
        for method, operation in by_method.items():
            yield f"{method.upper()} {path}", path, operation


def test_it_maps_flask_rules_to_openapi_paths():
    assert openapi_path("/api/v1/tickets/<int:ticket_id>/replies") == "/api/v1/tickets/{ticket_id}/replies"
    assert openapi_path("/api/v1/x/<name>/<int:n>") == "/api/v1/x/{name}/{n}"


def test_it_describes_every_route_under_api_v1(app, description):
    missing = routes(app) - described(description)

    assert not missing, f"add these routes to web.openapi.OPERATIONS: {sorted(missing)}"


def test_it_describes_no_route_that_does_not_exist(app, description):
    extra = described(description) - routes(app)

    assert not extra, f"these entries of web.openapi.OPERATIONS have no route: {sorted(extra)}"


def test_it_serves_openapi_3_1_with_a_bearer_token_scheme(description):
    assert description["openapi"] == "3.1.0"
    assert description["info"]["title"] and description["info"]["version"]
    scheme = description["components"]["securitySchemes"]["bearerToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert description["security"] == [{"bearerToken": []}]


def test_it_describes_the_json_error_shape(description):
    error = description["components"]["schemas"]["Error"]

    assert error["required"] == ["error"]
    assert error["properties"]["error"]["required"] == ["status", "message"]


def test_it_gives_each_operation_a_success_and_its_json_errors(description):
    for name, path, operation in operations(description):
        statuses = set(operation["responses"])
        assert any(s.startswith("2") for s in statuses), name
        assert name == "GET /api/v1/openapi.json" or any(s.startswith("4") for s in statuses), name
        for status, answer in operation["responses"].items():
            if status.startswith("4"):
                assert answer["$ref"].startswith("#/components/responses/"), name


def test_it_declares_each_path_parameter(description):
    for name, path, operation in operations(description):
        declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), name
        if declared:
            assert "404" in operation["responses"], name


def test_it_asks_for_a_token_everywhere_but_the_token_request_and_itself(description):
    public = {name for name, _, operation in operations(description) if operation.get("security") == []}

    assert public == {"POST /api/v1/tokens", "GET /api/v1/openapi.json"}
    for name, _, operation in operations(description):
        assert ("401" in operation["responses"]) == (name != "GET /api/v1/openapi.json"), name


def test_it_gives_a_request_body_to_the_operations_that_read_one(description):
    paths = description["paths"]

    assert paths["/api/v1/tokens"]["post"]["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "email", "password"]
    assert "requestBody" in paths["/api/v1/tickets/{ticket_id}/replies"]["post"]
    assert "requestBody" not in paths["/api/v1/tickets/{ticket_id}"]["get"]


def test_it_refers_only_to_components_that_exist(description):
    text = str(description)
    for kind, name in re.findall(r"#/components/(\w+)/(\w+)", text):
        assert name in description["components"][kind], f"#/components/{kind}/{name}"


def test_it_needs_no_token(app):
    response = app.test_client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.content_type == "application/json"
