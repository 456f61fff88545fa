"""Fixtures for the web tests: a world of agents and tickets on both databases."""

import pytest

from tests.integration.web_helpers import make_world


@pytest.fixture
def world(db, clock):
    return make_world(db, clock)


@pytest.fixture
def ada(world):
    return world.agent()


@pytest.fixture
def client(world, ada):
    """A browser session signed in as ada."""
    client = world.client()
    world.sign_in(client)
    return client
