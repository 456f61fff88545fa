"""`closeloop retrain` end to end on a small labelled set and a SQLite
database with the team's corrections."""

import csv
from array import array
from datetime import timedelta

import pytest
from click.testing import CliRunner

from closeloop.cli import main
from config import load_settings
from listener.lexicons import vader
from listener.scoring import Scorer
from listener.needs_model import NeedsResponseModel
from listener.sentiment_model import LABELS, SentimentModel, load_model, save_model
from store.models import Correction, Customer, Identity, Mention
from training.retrain import correction_examples

CARE_POSTS = {
    "negative": ["my parcel never arrived and nobody answers", "still waiting for the refund, awful",
                 "the kettle broke after two days, terrible", "worst support ever, on hold for an hour",
                 "you cancelled my order again", "charged twice and no reply", "rude staff at the desk",
                 "app keeps crashing, useless", "lost my suitcase, furious", "late again, third time"],
    "neutral": ["what time does the shop open on sunday", "is the blue kettle back in stock",
                "how do I change my delivery address", "do you ship to ireland", "which plan has roaming",
                "can I pay by bank transfer", "where do I find my invoice", "is there parking at the store",
                "do you sell gift cards", "what sizes does the coat come in"],
    "positive": ["thanks, arrived early and works great", "lovely staff at the counter today",
                 "great app, so easy to use", "brilliant service, thank you", "love the new kettle",
                 "quick refund, very happy", "best delivery driver ever", "so pleased with my order",
                 "fantastic help on the phone", "really nice shop, well done"],
}
GENERAL_POSTS = [("what a terrible day", 0), ("the bus is at noon", 1), ("loving this sunshine", 2)] * 3
# Posts to retail brands and whether the brand answered.
ANSWERED = {
    "AmazonHelp": [("@AmazonHelp the locker code does not work", True), ("@AmazonHelp order 118 is stuck", True),
                   ("@AmazonHelp still no email about my return", True), ("@AmazonHelp ok got it, thanks", False)],
    "Tesco": [("@Tesco the self checkout took my card twice", True), ("@Tesco cheers, all sorted", False)],
    "ArgosHelpers": [("@ArgosHelpers my collection slot vanished", True), ("@ArgosHelpers thank you!", False)],
}
TELECOM = [("@comcastcares my internet is down again", "1"), ("new phone day with @TMobile", "0")]
COMPLAINTS = [("EQUIFAX, INC.", "There is an account on my report that is not mine."),
              ("EQUIFAX, INC.", "They will not remove a late payment I never made."),
              ("Some Bank", "The bank charged me a fee twice for one transfer.")]


def write_csv(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def data_dir(tmp_path):
    """Thirty posts to two airlines (the nine to the smaller one held out),
    posts to three shops, telecom posts (evaluation only) and complaints
    to two companies."""
    folder = tmp_path / "data"
    write_csv(folder / "customer-care" / "airline_dev.csv", ["airline_sentiment", "negativereason", "airline", "text"],
              [[label, "", "Delta" if n < 7 else "Virgin America", text]
               for label, texts in CARE_POSTS.items() for n, text in enumerate(texts)])
    extra = folder / "customer-care-extra"
    write_csv(extra / "twcs_inbound_extra.csv", ["source", "brand", "text", "has_reply"],
              [["twcs_random_sample", brand, text, str(answered)]
               for brand, posts in ANSWERED.items() for text, answered in posts])
    write_csv(extra / "brand_tweets_labelled.csv", ["source", "text", "brand", "sentiment", "label_confidence",
                                                    "complaint"],
              [["rigautantoine_telecom_complaints", text, "", "", "", complaint] for text, complaint in TELECOM])
    write_csv(extra / "cfpb_complaints_narratives.csv", ["company", "narrative"], COMPLAINTS)
    general = folder / "sentiment" / "tweeteval_sentiment"
    general.mkdir(parents=True)
    (general / "test_text.txt").write_text("".join(f"{text}\n" for text, _ in GENERAL_POSTS))
    (general / "test_labels.txt").write_text("".join(f"{label}\n" for _, label in GENERAL_POSTS))
    return folder


@pytest.fixture
def config(tmp_path, sqlite_db):
    path = tmp_path / "closeloop.toml"
    path.write_text(f'[database]\nurl = "{sqlite_db.url}"\n')
    return path


def retrain(config, *args):
    return CliRunner().invoke(main, ["--config", str(config), "retrain", *args])


def add_corrections(db, clock, corrections):
    """Mentions with what the scorer said and what an agent corrected."""
    with db.transaction() as session:
        customer = Customer(display_name="Maria", created_at=clock.now())
        identity = Identity(customer=customer, platform="x", platform_user_id="u-maria", handle="maria")
        for n, (text, field, original, corrected) in enumerate(corrections):
            mention = Mention(platform="x", external_id=str(n), kind="post", identity=identity, text=text,
                              created_at=clock.now(), received_at=clock.now(), sentiment="neutral", polarity=0.0,
                              urgency=0.0, needs_response=False, reasons=[])
            session.add(Correction(mention=mention, platform="x", field=field, original=original,
                                   corrected=corrected, original_scores={"sentiment": "neutral"},
                                   created_at=clock.now() + timedelta(seconds=n)))


CORRECTIONS = [
    ("the box came soaked through", "sentiment", "neutral", "negative"),
    ("my voucher code does nothing", "needs_response", "False", "True"),
    ("just saying hi to the team", "needs_response", "True", "False"),
    ("nice new logo", "sentiment", "neutral", "positive"),
    ("the lid will not close", "sentiment", "neutral", "negative"),
    ("call me about my order", "priority", "low", "high"),
]


def always_positive() -> SentimentModel:
    bits = 8
    return SentimentModel(array("h", [0] * (len(LABELS) << bits)), bits, 1.0, (-5.0, -5.0, 5.0),
                          ((0.0, 0.0, 0.0),) * 3, {"seed": -1})


def never_needed() -> NeedsResponseModel:
    bits = 4
    return NeedsResponseModel(array("h", [0] * (1 << bits)), bits, 1.0, -10.0, (0.0, 0.0, 0.0))


def needs_a_person(model, text) -> float:
    return model.needs_response.probability(text, vader(text))


def test_it_replaces_a_worse_model_and_learns_from_corrections(config, sqlite_db, clock, data_dir, tmp_path):
    add_corrections(sqlite_db, clock, CORRECTIONS)
    target = tmp_path / "sentiment-model.json"
    save_model(always_positive(), target)
    result = retrain(config, "--seed", "3", "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    assert "held out: 9 labelled care posts + 1 corrections" in result.output
    assert "current" in result.output and "retrained" in result.output
    assert f"saved to {target}" in result.output
    model = load_model(target)
    assert model.info["seed"] == 3
    assert model.info["corrections"] == 2
    assert model.info["examples"] == {"care": 21, "general": 9, "correction": 2}


def test_corrections_teach_whether_a_post_needs_a_person_both_ways(config, sqlite_db, clock, data_dir, tmp_path):
    """A post taken into a ticket needed a person; "no response needed" on
    a ticketed post says it did not."""
    taken, dismissed = "my voucher code does nothing", "just saying hi to the team"
    add_corrections(sqlite_db, clock, CORRECTIONS)
    target = tmp_path / "sentiment-model.json"
    save_model(always_positive(), target)
    result = retrain(config, "--seed", "3", "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    assert "needs a person: 9 labelled posts + 0 corrections" in result.output
    assert "needs-a-person model does no worse" in result.output
    needs = load_model(target).needs_response
    assert needs.info["corrections"] == 2
    assert needs.info["examples"]["correction"] == 2 and "telecom" not in needs.info["examples"]
    first = load_model(target)
    with sqlite_db.transaction() as session:
        for text, original, corrected in ((taken, "True", "False"), (dismissed, "False", "True")):
            mention = session.query(Mention).filter_by(text=text).one()
            session.add(Correction(mention=mention, platform="x", field="needs_response", original=original,
                                   corrected=corrected, original_scores={},
                                   created_at=clock.now() + timedelta(hours=1)))
    save_model(always_positive(), target)
    assert retrain(config, "--seed", "3", "--data-dir", str(data_dir)).exit_code == 0
    swapped = load_model(target)
    assert needs_a_person(first, taken) > needs_a_person(swapped, taken)
    assert needs_a_person(first, dismissed) < needs_a_person(swapped, dismissed)


def test_the_same_seed_retrains_the_same_model(config, sqlite_db, clock, data_dir, tmp_path):
    add_corrections(sqlite_db, clock, CORRECTIONS)
    target = tmp_path / "sentiment-model.json"
    models = []
    for _ in range(2):
        save_model(always_positive(), target)
        assert retrain(config, "--seed", "5", "--data-dir", str(data_dir)).exit_code == 0
        models.append(load_model(target).to_dict())
    assert models[0] == models[1]


def test_it_keeps_the_current_model_when_the_new_one_is_worse(config, sqlite_db, data_dir, tmp_path, monkeypatch):
    monkeypatch.setattr("training.retrain.train", lambda examples, seed: always_positive())
    monkeypatch.setattr("training.retrain.train_needs_response", lambda examples, seed: never_needed())
    result = retrain(config, "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    assert "kept the current model: the retrained one does worse" in result.output
    assert not (tmp_path / "sentiment-model.json").exists()


def test_it_says_where_it_looked_for_missing_data(config, tmp_path):
    result = retrain(config, "--data-dir", str(tmp_path / "nowhere"))
    assert result.exit_code != 0
    assert "no labelled customer-care posts at" in result.output and "pass --data-dir" in result.output


def test_it_says_what_to_install_when_the_training_libraries_are_missing(config, monkeypatch):
    monkeypatch.setattr("training.find_spec", lambda name: None if name == "sklearn" else object())
    result = retrain(config)
    assert result.exit_code == 1
    assert result.output == "Error: training needs scikit-learn: pip install 'closeloop[train]'\n"


def test_the_latest_correction_of_a_post_is_the_one_used(sqlite_db, clock):
    add_corrections(sqlite_db, clock, [("the lid will not close", "sentiment", "neutral", "positive")])
    with sqlite_db.transaction() as session:
        mention = session.query(Mention).one()
        session.add(Correction(mention=mention, platform="x", field="sentiment", original="positive",
                               corrected="negative", original_scores={}, created_at=clock.now() + timedelta(hours=1)))
    with sqlite_db.transaction() as session:
        assert [(e.text, e.label) for e in correction_examples(session).sentiment] == [
            ("the lid will not close", "negative")]


def test_needs_response_corrections_give_needs_examples_each_way(sqlite_db, clock):
    add_corrections(sqlite_db, clock, CORRECTIONS)
    with sqlite_db.transaction() as session:
        corrections = correction_examples(session)
    assert [(e.text, e.label) for e in corrections.needs_response] == [
        ("my voucher code does nothing", "yes"), ("just saying hi to the team", "no")]
    assert not {e.text for e in corrections.sentiment} & {e.text for e in corrections.needs_response}


TOPIC_CORRECTIONS = [(text, "topic", None, topic) for topic, texts in {
    "delivery": ["the van never came to my street", "the van left it in the rain", "the van went to the wrong house",
                 "van came and went without knocking"],
    "billing_or_refund": ["my money went out twice", "still no money back", "money gone and no order",
                          "you kept my money"],
}.items() for text in texts] + [("nothing to see here", "topic", "delay", "none")]


def test_topic_corrections_teach_the_topic_model(config, sqlite_db, clock, data_dir, tmp_path):
    add_corrections(sqlite_db, clock, TOPIC_CORRECTIONS)
    target = tmp_path / "sentiment-model.json"
    save_model(always_positive(), target)
    result = retrain(config, "--seed", "2", "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    assert "held out: 9 labelled care posts + 2 corrections (2 with a topic)" in result.output
    assert "topic acc." in result.output
    assert "the retrained sentiment, topic and needs-a-person model does no worse" in result.output
    topics = load_model(target).topics
    taxonomy = load_settings(env={}).scoring.topics
    assert set(topics.labels) == set(taxonomy)
    assert topics.info["corrections"] == 6
    assert topics.info["examples"]["delivery"] == 3 + len(taxonomy["delivery"].examples)


def test_the_taxonomy_examples_teach_the_brands_own_topics(config, sqlite_db, clock, data_dir, tmp_path):
    add_corrections(sqlite_db, clock, TOPIC_CORRECTIONS)
    with open(config, "a") as f:
        f.write('[scoring.topics.parking]\nphrases = ["car park"]\n'
                'examples = ["no spaces left in the car park again", "the barrier ate my parking ticket"]\n'
                '[scoring.topics.delay]\nenabled = false\n')
    target = tmp_path / "sentiment-model.json"
    save_model(always_positive(), target)
    result = retrain(config, "--seed", "2", "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    topics = load_model(target).topics
    assert "parking" in topics.labels and "delay" not in topics.labels
    assert topics.info["examples"]["parking"] == 2


def test_each_model_is_kept_or_replaced_on_its_own(config, sqlite_db, clock, data_dir, tmp_path, monkeypatch):
    add_corrections(sqlite_db, clock, TOPIC_CORRECTIONS)
    monkeypatch.setattr("training.retrain.train", lambda examples, seed: always_positive())
    monkeypatch.setattr("training.retrain.train_needs_response", lambda examples, seed: never_needed())
    result = retrain(config, "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    assert "the retrained topic model does no worse" in result.output
    assert "kept the current sentiment and needs-a-person model: the retrained one does worse" in result.output
    saved = load_model(tmp_path / "sentiment-model.json")
    assert saved.to_dict()["weights"] == load_model().to_dict()["weights"]
    assert set(saved.topics.labels) == set(load_settings(env={}).scoring.topics)
    # The shipped model this process reads once and shares is left as it was.
    assert Scorer(load_settings(env={}).scoring).model.to_dict() == load_model().to_dict()
