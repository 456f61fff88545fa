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


@pytest.fixture
def admin(world):
    return world.agent("Grace Hopper", "grace@example.com", role="admin")


@pytest.fixture
def admin_client(world, admin):
    """A browser session signed in as grace, an admin."""
    client = world.client()
    world.sign_in(client, "grace@example.com")
    return client


@pytest.fixture
def admin_auth(world, admin):
    return {"Authorization": f"Bearer {world.token(world.client(), 'grace@example.com')}"}
