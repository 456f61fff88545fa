"""Schemathesis runs every operation of the OpenAPI document against the
app in-process, signed in with an admin's API token over a database with
real records: no server error, every answer as the document says, and no
request that the document allows refused.

Each operation gets a few derandomized examples, so a run is the same run
every time. Path ids name the database's records two times in three, and
ids in a body always do. What the document names only in words is made
true before sending: a period starts in the past and before its end (a
start and an end together keep the start only), `since` is in the past,
no `cursor` (only a page gives one), and no topic, source or team (they
come from the configuration)."""

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import pytest
from schemathesis.core.failures import FailureGroup

from tests.integration.web_helpers import make_world

EXAMPLES = 10
PERIODS = (("from", "to"), ("since", "until"))
CONFIGURED = ("topic", "source", "team")
PAST = "2025-12-01"  # five weeks before the test clock: a period as long as a report usually asks for


@pytest.fixture
def world(db, clock):
    world = make_world(db, clock)
    world.agent("Grace Hopper", "grace@example.com", role="admin")
    for n in range(3):
        world.ticket(f"My order {n} never arrived", handle=f"c{n}")
    return world


def _as_configured(case, real_id):
    """The case with what the document states in words made true."""
    query = {name: value for name, value in (case.query or {}).items() if name not in ("cursor", *CONFIGURED)}
    for start, end in PERIODS:
        if start in query:
            query[start] = PAST
            query.pop(end, None)
    case.query = query
    if isinstance(case.body, dict):
        case.body = {key: value for key, value in case.body.items() if key not in CONFIGURED}
        if "since" in case.body:
            case.body["since"] = f"{PAST}T00:00:00Z"
        _name_real_records(case.body, real_id or 1)
    for name in case.path_parameters or {}:
        if real_id:
            case.path_parameters[name] = real_id
    return case


def _name_real_records(body, real_id):
    """Ids in the body name records of the database: the path's ticket and
    its post, the admin, and a customer besides the path's."""
    if isinstance(body.get("tickets"), list):
        body["tickets"] = [real_id]
    for name, record in (("in_reply_to", real_id), ("agent", 1), ("customer", 3)):
        if _is_number(body.get(name)):
            body[name] = record


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def test_the_api_keeps_to_its_document(world):
    headers = {"Authorization": f"Bearer {world.token(world.client(), 'grace@example.com')}",
               "Accept-Encoding": "identity"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world.app)
    failures = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(), real_id=st.sampled_from([None, 1, 2]))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case, real_id):
            _as_configured(case, real_id).call_and_validate(headers=headers)

        try:
            check()
        except (AssertionError, FailureGroup) as failure:  # every operation is tried, then all failures shown
            failures[operation.label] = str(failure)
    assert not failures, "\n\n".join(f"{label}:\n{why}" for label, why in failures.items())
