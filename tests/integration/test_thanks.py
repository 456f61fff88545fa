"""Thank-yous for praise through the outbox: off by default, once per
customer in the window, never to an opted-out customer, the invitation for
promoters, and left out of the response-time reports."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from listener.intake import Intake
from responder.outbox import Outbox
from responder.thanks import ThankYous
from store.customers import set_contact_opt_out
from store.models import Customer, Reply, Ticket
from store.sla_figures import sla_figures
from tests.integration.loop_helpers import ScriptedConnector, post

PRAISE = "Loving the new AcmeBox colours, brilliant work team!"


class Praise:
    def __init__(self, db, settings, clock, **thanks):
        self.settings = settings.model_copy(update={"followups": settings.followups.model_copy(update={
            "thanks": settings.followups.thanks.model_copy(update={"enabled": True, **thanks})})})
        self.db, self.clock = db, clock
        self.intake = Intake(self.settings)
        self.platform = ScriptedConnector()
        self.outbox = Outbox(db, self.settings.outbox, clock, lambda account, platform: self.platform)
        self.job = ThankYous(db, self.settings, clock)

    def customer_posts(self, text, handle="maria", followers=100):
        with self.db.transaction() as session:
            self.intake.ingest(session, [post(text, handle, followers=followers)], self.clock.now())

    def sent(self):
        self.outbox.send_due()
        return [body for _, _, body in self.platform.posted]


@pytest.fixture
def praise(db, settings, clock):
    return Praise(db, settings, clock)


def test_praise_gets_one_thank_you_in_its_thread(praise):
    praise.customer_posts(PRAISE)
    assert len(praise.job.run()) == 1
    assert praise.sent() == ["Thank you, Maria! That made the Acme team's day."]
    assert praise.job.run() == []
    with praise.db.transaction() as session:
        [ticket] = session.scalars(select(Ticket)).all()
        assert (ticket.status, ticket.sla_policy) == ("closed", "thanks")
        assert session.scalar(select(Reply)).purpose == "thanks"
        now = praise.clock.now()
        assert sla_figures(session, now - timedelta(days=1), now + timedelta(days=1), now, "platform")["groups"] == []


def test_thanks_are_off_by_default(db, settings, clock):
    praise = Praise(db, settings, clock, enabled=False)
    praise.customer_posts(PRAISE)
    assert praise.job.run() == [] and praise.sent() == []


def test_one_thank_you_per_customer_in_the_window_and_none_when_opted_out(praise):
    praise.customer_posts(PRAISE)
    praise.job.run()
    praise.clock.advance(days=1)
    praise.customer_posts("Still loving it, thanks again!")
    assert praise.job.run() == []
    praise.customer_posts(PRAISE, handle="oskar")
    with praise.db.transaction() as session:
        oskar = session.scalar(select(Customer).where(Customer.display_name == "Oskar"))
        set_contact_opt_out(session, oskar, True, "agent@example.com", praise.clock.now())
    assert praise.job.run() == []
    assert len(praise.sent()) == 1


def test_promoters_get_the_invitation(praise):
    praise.customer_posts(PRAISE, handle="kenji", followers=150_000)
    praise.job.run()
    assert praise.sent() == ["Thank you, Kenji! Would you share what you liked in a review? It helps others find "
                             "Acme."]


def test_complaints_and_questions_get_no_thank_you(praise):
    praise.customer_posts("My parcel never arrived. Terrible.")
    praise.customer_posts("How do I change my delivery address?", handle="sam")
    assert praise.job.run() == []
