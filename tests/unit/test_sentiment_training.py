import json

import pytest

from config import load_settings
from listener.lexicons import vader
from listener.scoring import Scorer
from listener.sentiment_model import SHIPPED_MODEL, ModelFileError, load_model, save_model, trained_model_path
from training.examples import (
    GENERAL_WEIGHT,
    NEEDS,
    NO_NEED,
    Example,
    correction_example,
    held_out_split,
    labelled_data,
    needs_correction_example,
    shipped_examples,
)
from training.figures import evaluate, figures
from training.fit import train

SAMPLE = [Example(text, label) for label, texts in {
    "negative": ["my parcel never arrived and nobody answers", "still waiting for the refund, awful",
                 "the kettle broke after two days, terrible", "worst support ever, on hold for an hour",
                 "you cancelled my order again", "charged twice and no reply"],
    "neutral": ["what time does the shop open on sunday", "is the blue kettle back in stock",
                "how do I change my delivery address", "do you ship to ireland",
                "which plan includes roaming", "can I pay by bank transfer"],
    "positive": ["thanks, arrived early and works great", "lovely staff at the counter today",
                 "great app, so easy to use", "brilliant service, thank you",
                 "love the new kettle", "quick refund, very happy"],
}.items() for text in texts]


def test_the_same_examples_and_seed_give_the_same_model():
    first, second = train(SAMPLE, seed=7, bits=12, epochs=5), train(SAMPLE, seed=7, bits=12, epochs=5)
    assert first.to_dict() == second.to_dict()
    assert first.info["seed"] == 7


def test_a_small_model_learns_its_examples():
    model = train(SAMPLE, seed=1, bits=12, epochs=20)
    predicted = [max(zip(model.probabilities(e.text, vader(e.text)), ("negative", "neutral", "positive")))[1]
                 for e in SAMPLE]
    assert figures([e.label for e in SAMPLE], predicted).accuracy >= 0.9


def test_the_negative_offset_lowers_only_the_negative_intercept():
    plain, offset = (train(SAMPLE, seed=2, bits=12, epochs=5, negative_offset=value) for value in (0.0, 0.5))
    assert offset.bias[0] == pytest.approx(plain.bias[0] - 0.5)
    assert offset.bias[1:] == plain.bias[1:] and offset.weights == plain.weights
    assert offset.info["negative_offset"] == 0.5
    text = "the kettle broke after two days"
    assert offset.probabilities(text, vader(text))[0] < plain.probabilities(text, vader(text))[0]


@pytest.mark.shared_data
def test_a_crowd_label_counts_for_the_crowd_s_agreement_on_it(shared_data):
    examples, _ = shipped_examples(shared_data)
    care = [e for e in examples if e.source == "care"]
    assert all(0 < e.weight <= 1 for e in care) and any(e.weight < 1 for e in care)
    assert {e.weight for e in examples if e.source == "general"} == {GENERAL_WEIGHT}


def test_training_needs_every_label():
    with pytest.raises(ValueError, match="none for: neutral, positive"):
        train([e for e in SAMPLE if e.label == "negative"])


def test_a_saved_model_reads_back_the_same(tmp_path):
    model = train(SAMPLE, seed=2, bits=12, epochs=5)
    save_model(model, tmp_path / "m.json")
    again = load_model(tmp_path / "m.json")
    text = "still waiting for my refund"
    assert again.probabilities(text, vader(text)) == pytest.approx(model.probabilities(text, vader(text)))


def test_a_broken_model_file_is_refused_with_its_name(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps({"format": 99}))
    with pytest.raises(ModelFileError, match="not a format-1 sentiment model"):
        load_model(tmp_path / "m.json")
    with pytest.raises(ModelFileError, match="no sentiment model at"):
        load_model(tmp_path / "missing.json")


def test_the_scorer_falls_back_to_the_shipped_model(tmp_path, caplog):
    scoring = load_settings(env={}).scoring
    (tmp_path / "broken.json").write_text("{not json")
    assert Scorer(scoring, model_path=tmp_path / "missing.json").model.info == load_model().info
    assert Scorer(scoring, model_path=tmp_path / "broken.json").model.info == load_model().info
    assert "using the shipped sentiment model" in caplog.text


def test_a_retrained_model_lives_beside_the_sqlite_database(tmp_path):
    settings = load_settings(env={}, overrides={"database": {"url": f"sqlite:///{tmp_path}/data/closeloop.db"}})
    assert trained_model_path(settings) == tmp_path / "data" / "sentiment-model.json"
    server = load_settings(env={}, overrides={"database": {"url": "postgresql+psycopg://db/closeloop"}})
    assert trained_model_path(server) is None
    chosen = load_settings(env={}, overrides={"database": {"url": "postgresql+psycopg://db/closeloop"},
                                              "scoring": {"model_path": str(tmp_path / "m.json")}})
    assert trained_model_path(chosen) == tmp_path / "m.json"


def test_the_shipped_model_is_small():
    assert SHIPPED_MODEL.stat().st_size < 5 * 1024 * 1024


@pytest.mark.parametrize("field, corrected, label", [
    ("sentiment", "negative", "negative"),
    ("sentiment", "neutral", "neutral"),
    ("needs_response", "True", None),
    ("priority", "urgent", None),
    ("topic", "delivery", None),
])
def test_a_correction_gives_the_sentiment_it_implies(field, corrected, label):
    example = correction_example("some post", field, corrected)
    assert (example.label if example else None) == label
    if example:
        assert example.weight > 1 and example.source == "correction"


@pytest.mark.parametrize("field, corrected, label", [
    ("needs_response", "True", NEEDS),
    ("needs_response", "False", NO_NEED),
    ("needs_response", "false", NO_NEED),
    ("sentiment", "negative", None),
    ("priority", "urgent", None),
])
def test_a_correction_says_whether_the_post_needed_a_person(field, corrected, label):
    example = needs_correction_example("some post", field, corrected)
    assert (example.label if example else None) == label
    if example:
        assert example.weight > 1 and example.source == "correction"


def test_the_held_out_split_is_fixed_and_keeps_each_label():
    tuning, held_out = held_out_split(SAMPLE)
    assert held_out_split(SAMPLE) == (tuning, held_out)
    assert {e.label for e in held_out} == {"negative", "neutral", "positive"}
    assert len(held_out) == 6 and not set(held_out) & set(tuning)


def test_figures_count_macro_f1_and_the_negative_class():
    result = figures(["negative", "negative", "neutral", "positive"], ["negative", "neutral", "neutral", "positive"])
    assert result.accuracy == 0.75
    assert result.negative_precision == 1.0 and result.negative_recall == 0.5
    assert result.macro_f1 == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)


@pytest.mark.shared_data
def test_the_shipped_model_was_fitted_on_no_post_to_a_held_out_brand(shared_data):
    data = labelled_data(shared_data)
    assert load_model().info["examples"]["care"] == len(data.training("airline"))
    held_out = data.held_out("airline")
    assert len(held_out) == 504 and {p.brand for p in held_out} == {"virgin_america"}


@pytest.mark.shared_data
def test_the_scorer_keeps_its_figures_on_the_airline_it_never_saw(shared_data):
    """Floors under the figures measured on the held-out airline (macro-F1
    0.75, negative recall 0.91, precision 0.73): none may slip further."""
    held_out = [Example(p.text, p.sentiment) for p in labelled_data(shared_data).held_out("airline")]
    scorer = Scorer(load_settings(env={}).scoring)
    result = evaluate(lambda text: scorer.score(text).sentiment, held_out)
    assert result.macro_f1 >= 0.70
    assert result.negative_recall >= 0.85
    assert result.negative_precision >= 0.70
