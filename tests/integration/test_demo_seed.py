"""The demo starts with its team and the canned responses the README's
screenshots show."""

from closeloop.demo import CANNED, TEAM, seed_team
from store.canned import all_canned
from store.users import all_users


def test_the_demo_seeds_its_team_and_canned_responses(sqlite_db):
    seed_team(sqlite_db, "demo")

    with sqlite_db.sessions() as session:
        assert {agent.email for agent in all_users(session)} == {email for _, email, *_ in TEAM}
        canned = {item.title: item for item in all_canned(session)}
    assert set(canned) == {title for title, _ in CANNED}
    assert "Delivery delay apology" in canned
    assert all(item.created_by == "manager@demo.local" for item in canned.values())
