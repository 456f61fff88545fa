"""Customers who need particular care (bereaved, disabled, ill, old, in
hardship): the post is raised in priority and named for routing to a
senior, but never answered for that alone."""

import pytest

from config import load_settings
from listener.assignment import History, senior_reason
from listener.keywords import SENSITIVE, class_in, routes_to_a_senior
from listener.scoring import Scorer
from store.models import Ticket


@pytest.fixture(scope="module")
def scorer():
    return Scorer(load_settings(env={}).scoring)


@pytest.mark.parametrize("text, kind", [
    ("@bank my husband passed away and you keep sending him letters", "bereavement"),
    ("@insurer how do I close my late mother's policy? I have the death certificate", "bereavement"),
    ("@airline my wheelchair was damaged in the hold", "vulnerable"),
    ("@telco my elderly mum has been without a landline for a week, she has a medical alarm", "vulnerable"),
    ("@energy I'm disabled and the engineer didn't turn up again", "vulnerable"),
    ("@water I lost my job and can't pay my rent, please help with the bill", "hardship"),
    ("@council we are being evicted on Friday and nobody calls back", "hardship"),
])
def test_a_customer_who_needs_particular_care_is_named_and_raised_in_priority(scorer, text, kind):
    score = scorer.score(text)
    assert class_in(score.reasons, SENSITIVE) == kind
    assert score.needs_response
    assert score.priority in ("urgent", "high")
    assert routes_to_a_senior(score.reasons)


@pytest.mark.parametrize("text", [
    "@acme my account was disabled for no reason",
    "@acme my phone died again, the battery is rubbish",
    "@acme the window blind in my room was broken",
])
def test_everyday_words_that_only_look_sensitive_are_not(scorer, text):
    assert class_in(scorer.score(text).reasons, SENSITIVE) is None


def test_a_sensitive_word_alone_does_not_make_a_post_need_an_answer(scorer):
    score = scorer.score("@acme pregnant and loving your new range, thank you!")
    assert class_in(score.reasons, SENSITIVE) == "vulnerable"
    assert not score.needs_response


def test_routing_asks_for_a_senior_for_a_sensitive_post_after_a_harm_and_a_senior_priority():
    routing = load_settings(env={}).routing
    ticket = Ticket(priority="high", platform="x")
    sensitive = ["sensitive:bereavement ('passed away') +0.25"]
    assert senior_reason(ticket, "standard", History(), routing, sensitive) == "sensitive (bereavement)"
    assert senior_reason(ticket, "standard", History(), routing, ["safety:fire ('smoke') +1.00", *sensitive]) \
        == "harm (fire)"
    assert senior_reason(Ticket(priority="urgent", platform="x"), "standard", History(), routing, sensitive) \
        == "urgent"
    assert senior_reason(ticket, "standard", History(), routing, []) is None
    assert senior_reason(ticket, "standard", History(), routing, ["safety:account_takeover ('hacked') +1.00"]) \
        == "harm (account takeover)"
