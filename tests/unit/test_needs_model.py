"""The needs-a-person model: trained as its own target, kept in the model
file, deciding the ordinary post while the care rules keep deciding where
they are sure."""

import json
from array import array

import pytest

from config import load_settings
from listener.lexicons import vader
from listener.needs_model import NEEDS_A_PERSON, NEEDS_A_PERSON_TO_US, NeedsResponseModel
from listener.scoring import Scorer, ScoringContext
from listener.sentiment_model import load_model, save_model
from listener.weights import ModelFileError
from tests.unit.test_sentiment_training import SAMPLE
from training.datasets import EVALUATION_ONLY
from training.examples import NEEDS, NO_NEED, Example, labelled_data, shipped_needs_examples
from training.fit import train, train_needs_response
from web.why import main_reason

NEEDS_POSTS = [Example(text, NEEDS) for text in (
    "@shop my order number is 4411, nothing came", "@shop the card reader at the till took my money twice",
    "@shop the form keeps failing on step two", "@shop it was the branch in the station",
    "@shop the courier left a note but no parcel", "@shop I tried that, same error")] + [
    Example(text, NO_NEED) for text in (
        "watching the football with my dad tonight", "lovely sunset over the bay",
        "new episode of the podcast is out", "cooking pasta for the kids again",
        "listening to the new album on repeat", "the cat is asleep on my keyboard")]


@pytest.fixture(scope="module")
def model():
    return train_needs_response(NEEDS_POSTS, seed=1, bits=12, epochs=20)


def constant(probability_of_need: float) -> NeedsResponseModel:
    """A model that finds every post equally in need of a person."""
    import math

    bits = 4
    return NeedsResponseModel(array("h", [0] * (1 << bits)), bits, 1.0,
                              math.log(probability_of_need / (1 - probability_of_need)), (0.0, 0.0, 0.0))


def scorer_with_needs(needs: NeedsResponseModel | None) -> Scorer:
    shipped = load_model()
    shipped.needs_response = needs
    return Scorer(load_settings(env={}).scoring, model=shipped)


def test_the_model_learns_its_examples(model):
    for e in NEEDS_POSTS:
        assert (model.probability(e.text, vader(e.text)) >= 0.5) == (e.label == NEEDS), e.text


def test_the_same_examples_and_seed_give_the_same_model():
    first, second = (train_needs_response(NEEDS_POSTS, seed=3, bits=12, epochs=5) for _ in range(2))
    assert first.to_dict() == second.to_dict()
    assert first.info["seed"] == 3


def test_training_needs_posts_of_both_kinds():
    with pytest.raises(ValueError, match="found: yes"):
        train_needs_response([e for e in NEEDS_POSTS if e.label == NEEDS])


def test_the_model_is_saved_in_the_model_file_and_reads_back_the_same(model, tmp_path):
    sentiment = train(SAMPLE, seed=1, bits=12, epochs=5)
    sentiment.needs_response = model
    save_model(sentiment, tmp_path / "model.json")
    loaded = load_model(tmp_path / "model.json").needs_response
    assert loaded.to_dict() == model.to_dict()
    text = "@shop the courier left a note"
    assert loaded.probability(text, vader(text)) == model.probability(text, vader(text))


def test_a_file_without_the_model_has_none(tmp_path):
    save_model(train(SAMPLE, seed=1, bits=12, epochs=5), tmp_path / "model.json")
    assert load_model(tmp_path / "model.json").needs_response is None


@pytest.mark.parametrize("damage, error", [
    (lambda n: n.update(weights="bm90IHpsaWI="), "unreadable weights"),
    (lambda n: n.update(bits=3), "expected 8 needs-a-person weights"),
    (lambda n: n.update(lexicon_weights=[0.1]), "three lexicon weights"),
    (lambda n: n.pop("bias"), "bias"),
])
def test_a_damaged_model_is_refused_with_the_file_name(model, tmp_path, damage, error):
    sentiment = train(SAMPLE, seed=1, bits=12, epochs=5)
    sentiment.needs_response = model
    path = tmp_path / "model.json"
    save_model(sentiment, path)
    data = json.loads(path.read_text())
    damage(data["needs_response"])
    path.write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match=error) as refused:
        load_model(path)
    assert str(path) in str(refused.value)


@pytest.mark.parametrize("text", ["@acme 27/10", "@acme my card number changed last week",
                                  "@acme I tried that already"])
def test_the_shipped_model_finds_a_person_needed_in_plain_posts_the_rules_leave(text):
    score = Scorer(load_settings(env={}).scoring).score(text)
    assert score.sentiment == "neutral" and score.needs_response
    assert any(r.startswith("needs a person: model 0.") for r in score.reasons)
    assert not any(r.startswith(("rule:", "keyword:", "question", "asks for help")) for r in score.reasons)


@pytest.mark.parametrize("text", ["Just landed in Paris with @acme", "Watching the new acme advert on tv",
                                  "RT @news: Acme opens a new store in Leeds http://t.co/x"])
def test_the_shipped_model_finds_no_one_needed_for_chatter(text):
    score = Scorer(load_settings(env={}).scoring).score(text)
    assert not score.needs_response
    assert any(r.startswith("no response needed: no complaint, question or request; model 0.") for r in score.reasons)


def test_the_model_decides_the_ordinary_post_not_the_lexicon():
    text = "@acme it is the branch by the station"
    taken, left = scorer_with_needs(constant(0.9)).score(text), scorer_with_needs(constant(0.1)).score(text)
    assert taken.sentiment == left.sentiment == "neutral"
    assert taken.needs_response and "needs a person: model 0.90 +0.20" in taken.reasons
    assert taken.priority == "low"
    assert not left.needs_response
    assert "no response needed: no complaint, question or request; model 0.10" in left.reasons


def test_a_post_put_to_the_brand_needs_a_person_at_lower_odds_than_talk_about_it():
    shipped = load_model()
    shipped.needs_response = constant(0.4)
    settings = load_settings(env={}).scoring
    assert NEEDS_A_PERSON_TO_US < 0.4 < NEEDS_A_PERSON
    put_to_us, about_us = "@acme it is the branch by the station", "it is the acme branch by the station"
    assert Scorer(settings, model=shipped).score(put_to_us).needs_response
    assert not Scorer(settings, model=shipped).score(about_us).needs_response
    assert not Scorer(settings, model=shipped, needs_threshold=0.5).score(put_to_us).needs_response


def test_without_the_model_an_ordinary_post_needs_no_one():
    score = scorer_with_needs(None).score("@acme it is the branch by the station")
    assert not score.needs_response
    assert "no response needed: no complaint, question or request" in score.reasons


@pytest.mark.parametrize("text, why", [
    ("My parcel never arrived and your support is terrible.", "complaint +0.30"),
    ("How do I change the address on my order?", "question +0.20"),
    ("Please help me change the delivery address.", "asks for help +0.20"),
    ("The charger you sold me caught fire last night", "complaint +0.30"),
    ("I want a refund for this", "keyword +0.30"),
])
def test_the_rules_still_find_a_person_needed_whatever_the_model_says(text, why):
    score = scorer_with_needs(constant(0.01)).score(text)
    assert score.needs_response
    assert why in score.reasons
    assert not any("model 0.01" in r for r in score.reasons)


@pytest.mark.parametrize("text, context, why", [
    ("Follow me for free followers!! click here", None, "spam ('free followers')"),
    ("So sorry about the delay, we have sent you a DM.", ScoringContext(by_brand=True), "our own post"),
    ("Thanks, the new app is great and delivery was fast!", None, "praise"),
])
def test_the_rules_still_find_no_one_needed_whatever_the_model_says(text, context, why):
    score = scorer_with_needs(constant(0.99)).score(text, context=context)
    assert not score.needs_response
    assert f"no response needed: {why}" in score.reasons


def test_questions_left_to_the_team_by_config_are_not_the_model_s_to_take():
    settings = load_settings(env={}, overrides={"scoring": {"respond_to_questions": False}}).scoring
    shipped = load_model()
    shipped.needs_response = constant(0.99)
    assert not Scorer(settings, model=shipped).score("How do I change the address on my order?").needs_response


@pytest.mark.shared_data
def test_the_shipped_model_was_fitted_on_no_held_out_brand_and_no_evaluation_only_set(shared_data):
    training, held_out = shipped_needs_examples(shared_data)
    data = labelled_data(shared_data)
    held_out_texts = {p.text for name in data.sets for p in data.held_out(name)}
    evaluation_only = {p.text for name in EVALUATION_ONLY for p in data.sets[name]}
    assert not {e.text for e in training} & (held_out_texts | evaluation_only)
    assert held_out and {e.source for e in held_out} == {"twcs", "airline", "cfpb"}
    info = load_model().needs_response.info["examples"]
    assert sum(info.values()) == len(training)
    assert "telecom" not in info


@pytest.mark.shared_data
def test_every_industry_keeps_brands_to_measure_on(shared_data):
    data = labelled_data(shared_data)
    industries = {p.industry for p in data.sets["twcs"] if p.brand}
    assert industries == {p.industry for p in data.held_out("twcs")}
    assert {p.brand for p in data.sets["telecom"] if p.brand} <= data.held_out_brands


def test_an_answer_to_our_reply_on_an_open_ticket_needs_a_person_whatever_the_model_says():
    text = "@acme it is the branch by the station"
    scorer = scorer_with_needs(constant(0.05))
    told = scorer.score(text, context=ScoringContext(answers_us=True))
    assert told.needs_response and "answers our reply +0.20" in told.reasons
    assert main_reason(told.reasons) == "answers our reply"
    assert not scorer.score(text).needs_response


@pytest.mark.parametrize("text, why", [
    ("Thanks, the new app is great and delivery was fast!", "praise"),
    ("Follow me for free followers!! click here", "spam ('free followers')"),
])
def test_thanks_and_spam_in_answer_to_our_reply_still_need_no_one(text, why):
    score = scorer_with_needs(constant(0.99)).score(text, context=ScoringContext(answers_us=True))
    assert not score.needs_response
    assert f"no response needed: {why}" in score.reasons


@pytest.mark.shared_data
def test_the_customer_tweets_tell_a_reply_in_a_conversation_from_its_start(shared_data):
    data = labelled_data(shared_data)
    assert {p.in_conversation for p in data.sets["twcs"]} == {True, False}
    assert {p.in_conversation for p in data.sets["airline"]} == {None}


@pytest.mark.parametrize("text", ["Love the new app! When does dark mode come out?",
                                  "@acme great service today, can you send me the receipt too?"])
def test_praise_that_asks_us_something_needs_a_person_whatever_the_model_says(text):
    score = scorer_with_needs(constant(0.01)).score(text)
    assert score.sentiment == "positive"
    assert score.needs_response and "question +0.20" in score.reasons
