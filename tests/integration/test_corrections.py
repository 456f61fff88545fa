"""Agents overruling the scorer (topic, no response needed), and how often
they do, for managers."""

from sqlalchemy import select

from store.models import Correction, Ticket


def test_a_topic_change_is_kept_as_a_correction(world, client):
    ticket_id = world.ticket("my card was charged twice")
    client.post(f"/tickets/{ticket_id}/topic", data={"topic": "billing_or_refund"})
    bad = client.post(f"/tickets/{ticket_id}/topic", data={"topic": "weather"}, follow_redirects=True)
    assert "topic must be one of" in bad.get_data(as_text=True)
    with world.db.transaction() as session:
        assert session.get(Ticket, ticket_id).topic == "billing_or_refund"
        correction = session.scalar(select(Correction))
        assert (correction.field, correction.original, correction.corrected) == ("topic", "delivery",
                                                                                 "billing_or_refund")
    assert [e.detail["after"] for e in world.events(ticket_id, "topic_changed")] == ["billing_or_refund"]


def test_managers_see_how_often_the_scorer_was_corrected(world, client, ada):
    world.agent("Grace Hopper", "grace@example.com", role="manager")
    changed, unneeded, _ = (world.ticket(text, handle=h) for text, h in (
        ("charged twice", "a"), ("just saying hi", "b"), ("parcel late", "c")))
    client.post(f"/tickets/{changed}/topic", data={"topic": "billing_or_refund"})
    client.post(f"/tickets/{unneeded}/no-response")
    world.clock.advance(minutes=1)

    api = world.client()
    auth = {"Authorization": f"Bearer {world.token(api, 'grace@example.com')}"}
    report = api.get("/api/v1/reports/corrections", headers=auth).get_json()
    assert report["by_platform"] == [{"key": "x", "posts": 3, "corrected_share": 0.6667, "corrections": {
        "needs_response": 1, "priority": 0, "topic": 1, "sentiment": 0}}]
    assert [(row["key"], row["posts"]) for row in report["by_topic"]] == [("delivery", 3)]
    agent_auth = {"Authorization": f"Bearer {world.token(api)}"}
    assert api.get("/api/v1/reports/corrections", headers=agent_auth).status_code == 403

    manager = world.client()
    world.sign_in(manager, "grace@example.com")
    assert "Scorer corrections" in manager.get("/dashboard").get_data(as_text=True)
