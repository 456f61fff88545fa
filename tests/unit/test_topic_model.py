"""The topic model and how it joins the keyword taxonomy: it breaks ties
between topics it knows, names the topic of a complaint without topic
words when it is sure enough, and never overrides the words otherwise."""

import csv
import json

import pytest

from listener.sentiment_model import load_model, save_model
from listener.topic_model import TopicModel
from listener.topics import TopicChooser
from listener.weights import ModelFileError
from tests.unit.test_sentiment_training import SAMPLE
from config import load_settings
from training.examples import (
    CARE_FILE,
    CATCH_ALL_REASON,
    Example,
    held_out_split,
    shipped_topic_examples,
    taxonomy_examples,
    topic_correction_example,
    topic_examples,
)
from training.fit import train, train_topics

TAXONOMY = {
    "billing": ("refund*", "charged", "fee"),
    "delivery": ("parcel", "courier", "arrived"),
    "staff": ("rude", "staff", "nobody answers"),
}
TOPIC_POSTS = {
    "billing": ["they took my money twice this month", "still no money back for the jacket",
                "the money for the order left my account twice", "where is my money for the return",
                "money gone from my card and no order", "you kept my money after I sent it back"],
    "delivery": ["the van never came to my street", "the van driver left it in the rain",
                 "two weeks and the van has not come", "the van went to the wrong house",
                 "van came without knocking", "the van left it at a neighbour I do not know"],
    "staff": ["the woman at the till shouted at me", "the man at the till laughed at me",
              "the till lady ignored me for ten minutes", "at the till they were so impolite",
              "the till guy swore at my son", "nobody at the till would look at me"],
}
EXAMPLES = [Example(text, topic) for topic, texts in TOPIC_POSTS.items() for text in texts]


@pytest.fixture(scope="module")
def model():
    return train_topics(EXAMPLES, seed=1, bits=12, epochs=20)


def choose(chooser, text, complaint=True):
    return chooser.choose(text, complaint)


def test_the_model_learns_its_topics(model):
    assert model.labels == ("billing", "delivery", "staff")
    for e in EXAMPLES:
        likely = model.probabilities(e.text)
        assert max(likely, key=likely.get) == e.label
        assert sum(likely.values()) == pytest.approx(1.0)


def test_the_same_examples_and_seed_give_the_same_topic_model():
    first, second = (train_topics(EXAMPLES, seed=4, bits=12, epochs=5) for _ in range(2))
    assert first.to_dict() == second.to_dict()


def test_training_topics_needs_two_topics():
    with pytest.raises(ValueError, match="two topics or more; found: billing"):
        train_topics([e for e in EXAMPLES if e.label == "billing"])


def test_two_topics_are_enough(model):
    two = train_topics([e for e in EXAMPLES if e.label != "staff"], seed=1, bits=12, epochs=20)
    likely = two.probabilities("my money went twice")
    assert max(likely, key=likely.get) == "billing"


def test_the_model_breaks_a_tie_between_topics_it_knows(model):
    text = "charged for a parcel that the van never brought"
    assert choose(TopicChooser(TAXONOMY), text).topic == "billing"  # listed first
    choice = choose(TopicChooser(TAXONOMY, model), text)
    assert choice.topic == "delivery"
    assert choice.reason.startswith("topic:delivery ('parcel'; model 0.") and choice.reason.endswith("over billing)")


def test_the_words_decide_when_one_topic_has_more_of_them(model):
    text = "charged a fee for a van that never came"
    assert choose(TopicChooser(TAXONOMY, model), text).topic == "billing"


def test_a_tie_with_a_topic_the_model_does_not_know_goes_by_the_taxonomy(model):
    taxonomy = {"website": ("app",), **TAXONOMY}
    choice = choose(TopicChooser(taxonomy, model), "the app lost my parcel and the van driver laughed")
    assert choice.topic == "website" and choice.model is None


def test_a_complaint_without_topic_words_gets_the_model_topic_when_it_is_sure(model):
    chooser = TopicChooser(TAXONOMY, model)
    choice = choose(chooser, "the man at the till was so impolite to me")
    assert choice.topic == "staff" and choice.phrases == ()
    assert choice.reason.startswith("topic:staff (model 0.")
    assert choose(chooser, "the man at the till was so impolite to me", complaint=False).topic is None
    assert choose(TopicChooser(TAXONOMY, model, min_guess_probability=0.99), "at the till today").topic is None


def test_a_switched_off_topic_is_never_the_model_choice(model):
    taxonomy = {topic: phrases for topic, phrases in TAXONOMY.items() if topic != "staff"}
    assert choose(TopicChooser(taxonomy, model), "the man at the till was so impolite to me").topic != "staff"


def test_the_topic_model_is_saved_in_the_sentiment_model_file(model, tmp_path):
    sentiment = train(SAMPLE, seed=1, bits=12, epochs=5)
    sentiment.topics = model
    save_model(sentiment, tmp_path / "model.json")
    loaded = load_model(tmp_path / "model.json")
    assert loaded.topics.to_dict() == model.to_dict()
    assert loaded.topics.probabilities("the van never came") == model.probabilities("the van never came")


def test_a_file_without_topics_has_no_topic_model(tmp_path):
    save_model(train(SAMPLE, seed=1, bits=12, epochs=5), tmp_path / "model.json")
    assert load_model(tmp_path / "model.json").topics is None


@pytest.mark.parametrize("damage, error", [
    (lambda t: t.update(weights="bm90IHpsaWI="), "unreadable weights"),
    (lambda t: t.update(labels=["billing"], bias=[0.0]), "two topics or more"),
    (lambda t: t.update(bits=3), "expected 24 topic weights"),
])
def test_a_damaged_topic_model_is_refused_by_name(model, tmp_path, damage, error):
    sentiment = train(SAMPLE, seed=1, bits=12, epochs=5)
    sentiment.topics = model
    save_model(sentiment, tmp_path / "model.json")
    data = json.loads((tmp_path / "model.json").read_text())
    damage(data["topics"])
    (tmp_path / "model.json").write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match=error):
        load_model(tmp_path / "model.json")


def test_care_posts_are_labelled_with_the_topic_of_their_reason(tmp_path):
    path = tmp_path / "customer-care" / "airline_dev.csv"
    path.parent.mkdir()
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["airline_sentiment", "negativereason", "text"])
        writer.writerows([["negative", "Late Flight", "two hours on the runway"],
                          ["negative", "Can't Tell", "just no"],
                          ["negative", "Lost Luggage", "where is my case"],
                          ["positive", "", "lovely crew"]])
    posts = [Example(text, "negative") for text in ("two hours on the runway", "just no", "where is my case")]
    assert [(e.text, e.label) for e in topic_examples(posts, tmp_path)] == [
        ("two hours on the runway", "delay"), ("where is my case", "lost_or_damaged")]


def test_a_topic_correction_teaches_only_a_topic_of_the_taxonomy():
    example = topic_correction_example("the van never came", "topic", "delivery", TAXONOMY)
    assert (example.label, example.source) == ("delivery", "correction") and example.weight > 1
    assert topic_correction_example("the van never came", "topic", "none", TAXONOMY) is None
    assert topic_correction_example("the van never came", "topic", "weather", TAXONOMY) is None
    assert topic_correction_example("the van never came", "priority", "high", TAXONOMY) is None


def test_topics_split_into_held_out_parts_per_topic():
    tuning, held_out = held_out_split(EXAMPLES)
    assert {e.label for e in held_out} == {"billing", "delivery", "staff"}
    assert len(held_out) == 6 and not set(held_out) & set(tuning)


@pytest.mark.shared_data
def test_the_shipped_topic_model_knows_the_default_topics_and_was_fitted_without_the_held_out_posts(shared_data):
    training, held_out = shipped_topic_examples(shared_data)
    topics = load_settings(env={}).scoring.topics
    model = load_model().topics
    assert set(model.labels) == set(topics)
    assert sum(model.info["examples"].values()) == len(training) + len(taxonomy_examples(topics))
    assert not {e.text for e in training} & {e.text for e in held_out}


@pytest.mark.shared_data
def test_the_crowds_catch_all_reason_teaches_no_topic(shared_data):
    training, held_out = shipped_topic_examples(shared_data)
    with open(shared_data / CARE_FILE, newline="", encoding="utf-8") as f:
        reasons = {row["text"]: row["negativereason"] for row in csv.DictReader(f)}
    assert CATCH_ALL_REASON not in {reasons[e.text] for e in training + held_out}


def test_the_taxonomy_examples_teach_the_topics_in_use():
    topics = load_settings(env={}, overrides={"scoring": {"topics": {
        "parking": {"phrases": ["car park"], "examples": ["no spaces left in the car park"]},
        "delay": {"enabled": False}}}}).scoring.topics
    examples = taxonomy_examples(topics)
    assert ("no spaces left in the car park", "parking") in {(e.text, e.label) for e in examples}
    assert "delay" not in {e.label for e in examples}
    assert all(e.source == "taxonomy" and e.weight > 1 for e in examples)


def test_a_topic_model_of_one_topic_is_refused():
    with pytest.raises(ModelFileError, match="two topics or more"):
        TopicModel(("billing",), None, 4, 1.0, (0.0,))
