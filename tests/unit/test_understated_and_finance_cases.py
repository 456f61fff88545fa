"""Posts care leads pointed at: a state that has lasted days, a harm that
is past and put right, and money or conduct complaints that are no harm
to a person."""

import pytest

from config import load_settings
from listener.care_rules import rule_hits
from listener.scoring import Scorer


@pytest.fixture(scope="module")
def scorer():
    return Scorer(load_settings(env={}).scoring)


def safety_reasons(score):
    return [r for r in score.reasons if r.startswith("safety:")]


@pytest.mark.parametrize("text, said", [
    ("Tracking page has said 'soon' for a week", "has said 'soon' for a week"),
    ("my order has been stuck on 'processing' for 5 days", "been stuck on 'processing' for 5 days"),
    ("The app has shown 'pending' since Monday", "has shown 'pending' since monday"),
    ("refund pending for two weeks now", "pending for two weeks"),
    ("internet's been down since yesterday", "been down since yesterday"),
    ("the status hasn't changed for over a week", "hasn't changed for over a week"),
    ("my parcel has not moved since last week", "has not moved since last week"),
    ("the tracker has been showing 'out for delivery' for days", "been showing 'out for delivery' for days"),
])
def test_a_state_lasting_days_is_a_complaint_that_needs_a_response(scorer, text, said):
    assert said in [h.name for h in rule_hits(text)]
    score = scorer.score(text)
    assert score.needs_response, score.reasons
    assert score.sentiment == "negative", score.reasons
    assert f"rule:{said} -0.30, urgency +0.05" in score.reasons


@pytest.mark.parametrize("text", [
    "I've loved this brand for 10 years",
    "had it for 6 months and it's great",
    "been a customer since 2015 and never had a problem",
    "stayed at your hotel for a week, lovely staff",
    "I sat down for a week of films on your app, brilliant",
    "the site is down for maintenance for an hour tonight",
    "she said thanks for a great day out",
])
def test_time_spent_happily_is_no_lasting_complaint(text):
    assert not any(h.complaint for h in rule_hits(text))


@pytest.mark.parametrize("text", [
    "I've loved this brand for 10 years",
    "had it for 6 months and it's great",
    "stayed at your hotel for a week, lovely staff",
])
def test_years_of_loyalty_read_as_praise(scorer, text):
    score = scorer.score(text)
    assert score.sentiment == "positive", score.reasons
    assert not score.needs_response


@pytest.mark.parametrize("text", [
    "Last year your heater burnt my hand but the replacement works great",
    "Two years ago the charger sparked, but since the recall it works fine",
    "My son cut his hand on the old model months ago, but the new one is perfect",
    "not burning anymore, thanks",
    "Not burning anymore, thanks",
])
def test_a_past_harm_put_right_is_not_urgent(scorer, text):
    score = scorer.score(text)
    assert score.priority != "urgent", score.reasons
    assert not safety_reasons(score)


@pytest.mark.parametrize("text", [
    "your heater burnt my hand",
    "Last year your heater burnt my hand",
    "Last year your heater burnt my hand but the replacement is burning too",
    "Last year your heater burnt my hand but the replacement doesn't work great either",
    "Last year the heater was fine but now it burnt my hand",
    "Your heater burnt my hand last week but now it works great",
])
def test_a_harm_that_is_current_or_not_put_right_stays_urgent(scorer, text):
    score = scorer.score(text)
    assert score.priority == "urgent", score.reasons
    assert any(r.startswith("safety:fire") for r in score.reasons)


def test_a_harm_still_goes_to_a_senior(scorer):
    senior = load_settings(env={}).routing.senior_priorities
    assert scorer.score("your heater burnt my hand").priority in senior
    assert scorer.score("Last year your heater burnt my hand but the replacement works great").priority not in senior


@pytest.mark.parametrize("text, phrase", [
    ("There are fraudulent charges on my card", "fraudulent"),
    ("there are unauthorised payments on my card from your shop", "unauthorised payments"),
    ("I see charges I didn't make on my statement", "charges i didn't make"),
    ("someone stole my identity, this is identity theft", "identity theft"),
    ("I think I've been scammed, I sent £900 to someone pretending to be you", "scammed"),
    ("a text pretending to be you took my card details", "pretending to be you"),
    ("got a scam call from your number and they knew my sort code", "scam call"),
])
def test_fraud_on_a_card_is_high_priority_not_a_harm(scorer, text, phrase):
    score = scorer.score(text)
    assert score.needs_response
    assert score.priority == "high", score.reasons
    assert not safety_reasons(score)
    assert f"keyword:{phrase} (fraud) +0.25" in score.reasons


@pytest.mark.parametrize("text, phrase", [
    ("your collector keeps calling me, this is harassment", "keeps calling me"),
    ("stop harassing me about a debt I paid", "harassing"),
    ("the agent threatened to sue me over £20", "threatened to sue"),
    ("the collector threatened me with court, twice", "threatened me with"),
])
def test_a_collector_who_harasses_is_a_conduct_complaint_not_violence(scorer, text, phrase):
    score = scorer.score(text)
    assert score.needs_response
    assert score.priority == "high", score.reasons
    assert not safety_reasons(score)
    assert f"keyword:{phrase} (conduct) +0.25" in score.reasons


@pytest.mark.parametrize("text, kind, phrase", [
    ("someone hacked my account and changed the password", "account_takeover", "hacked"),
    ("Someone got into my account and made fraudulent charges", "account_takeover", "got into my account"),
    ("there was unauthorised access to my account last night", "account_takeover", "unauthorised access"),
    ("he threatened to hurt me", "violence", "threatened to hurt"),
    ("your driver threatened me at my own door", "violence", "threatened me"),
    ("the man in your shop threatened me with a knife", "violence", "threatened me with a knife"),
])
def test_account_takeover_and_threats_to_hurt_stay_urgent(scorer, text, kind, phrase):
    score = scorer.score(text)
    assert score.priority == "urgent", score.reasons
    assert f"safety:{kind} ({phrase!r}) +1.00" in score.reasons


@pytest.mark.parametrize("text, name", [
    ("laptop shows a blue screen, unable to start. Kindly help", "negation \"unable to start\""),
    ("my phone won't turn on since the update", "negation \"won't turn on\""),
    ("the app keeps freezing at checkout", "negation \"keeps freezing\""),
    ("Kindly assist, the card was declined twice", "asks for help"),
    ("NEED THE SCANNER WORKING AGAIN, TELL ME HOW", "asks for help"),
    ("your support as soon as possible please", "asks for help"),
    ("could you please check my order", "asks for help"),
])
def test_requests_and_things_that_will_not_work_are_seen(scorer, text, name):
    assert name in [h.name for h in rule_hits(text)]
    assert scorer.score(text).needs_response


@pytest.mark.parametrize("text", ["I can't wait to start my new job", "you can tell me anything, love you mum",
                                  "we're broke, don't charge us"])
def test_eager_or_fond_words_are_no_request_or_failure(text):
    assert not any(h.complaint or h.request for h in rule_hits(text))
