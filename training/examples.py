"""The examples the models learn from and are measured on: the shared
labelled data, split by brand in a fixed, seeded way (`brands.py`), and
the team's corrections."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from config.settings import Topic
from listener.sentiment_model import LABELS
from training.brands import HELD_OUT_SHARE, SPLIT_SEED, held_out_brands
from training.datasets import CARE_FILE, EVALUATION_ONLY, READERS, DataMissing, Post

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
GENERAL_FILES = (Path("sentiment") / "tweeteval_sentiment" / "test_text.txt",
                 Path("sentiment") / "tweeteval_sentiment" / "test_labels.txt")
TWEETEVAL_LABELS = {"0": "negative", "1": "neutral", "2": "positive"}
# The needs-a-person model's labels.
NEEDS, NO_NEED = "yes", "no"
# What a post of each set counts for in the needs-a-person model. The
# brands' own answers (twcs) are the target itself; the other sets teach
# the words of complaints, praise and chatter in more industries. A
# general tweet is chatter that nobody of a brand needs to answer.
# Chosen by cross-validation over the training brands, grouped by brand:
# the most weight on chatter that keeps recall on the posts brands
# answered above 0.85.
NEEDS_WEIGHTS = {"twcs": 4.0, "airline": 0.5, "apple": 0.5, "cfpb": 0.1, "general": 0.5}
# General tweets teach words the care posts lack, but their idea of
# "negative" is not a complaint's: each counts for a fifth of a care post.
GENERAL_WEIGHT = 0.2
# A correction by the team is worth more than a crowd label.
CORRECTION_WEIGHT = 3.0
# The crowd's complaint reasons on the care posts, in the default
# taxonomy's words. "Can't Tell" has no topic and is left out.
REASON_TOPICS = {
    "Late Flight": "delay",
    "longlines": "delay",
    "Cancelled Flight": "cancellation",
    "Lost Luggage": "lost_or_damaged",
    "Damaged Luggage": "lost_or_damaged",
    "Customer Service Issue": "staff_or_service",
    "Flight Attendant Complaints": "staff_or_service",
    "Flight Booking Problems": "booking_or_account",
    "Bad Flight": "product_defect",
}
# The crowd filed websites, refunds and bookings under "Customer Service
# Issue" as often as staff: a model taught from it makes staff_or_service
# the topic of any complaint, so it only counts for measuring.
CATCH_ALL_REASON = "Customer Service Issue"


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    weight: float = 1.0
    source: str = ""


@dataclass(frozen=True)
class LabelledData:
    """Every labelled set, and the brands held out of training."""

    sets: dict[str, list[Post]]
    held_out_brands: frozenset[str]

    def training(self, name: str) -> list[Post]:
        """The posts of a set that models may be fitted on: none of an
        evaluation-only set, none of a held-out brand, and none whose text
        a held-out brand was sent too (one complaint sent to several
        companies)."""
        if name in EVALUATION_ONLY:
            return []
        return [p for p in self.sets[name]
                if p.brand not in self.held_out_brands and p.text not in self._held_out_texts]

    @cached_property
    def _held_out_texts(self) -> frozenset[str]:
        return frozenset(p.text for posts in self.sets.values() for p in posts if p.brand in self.held_out_brands)

    def held_out(self, name: str) -> list[Post]:
        return [p for p in self.sets[name] if p.brand and p.brand in self.held_out_brands]


def labelled_data(data_dir: Path = DEFAULT_DATA_DIR) -> LabelledData:
    """Every set and the held-out brands: a seeded draw per industry, plus
    every brand of an evaluation-only set, so its figures are for brands
    no model saw either."""
    sets = {name: read(Path(data_dir)) for name, read in READERS.items()}
    fitted = [(p.brand, p.industry) for name, posts in sets.items() if name not in EVALUATION_ONLY for p in posts]
    evaluated = {p.brand for name in EVALUATION_ONLY for p in sets[name] if p.brand}
    return LabelledData(sets, held_out_brands(fitted, evaluated))


def topic_examples(examples: Iterable[Example], data_dir: Path = DEFAULT_DATA_DIR) -> list[Example]:
    """The care posts among `examples` whose complaint reason maps to a
    topic, labelled with that topic (the catch-all reason left out)."""
    with open(Path(data_dir) / CARE_FILE, newline="", encoding="utf-8") as f:
        reasons = {row["text"]: row["negativereason"] for row in csv.DictReader(f)}
    return [Example(e.text, REASON_TOPICS[reasons[e.text]], source="care") for e in examples
            if reasons.get(e.text) in REASON_TOPICS and reasons[e.text] != CATCH_ALL_REASON]


def taxonomy_examples(topics: Mapping[str, Topic]) -> list[Example]:
    """The example posts of each topic in use, weighted as a person's label."""
    return [Example(text, name, CORRECTION_WEIGHT, "taxonomy") for name, topic in topics.items() if topic.enabled
            for text in topic.examples]


def general_examples(data_dir: Path = DEFAULT_DATA_DIR) -> list[Example]:
    """General tweets (TweetEval's test split), weighted down."""
    text_path, label_path = (Path(data_dir) / p for p in GENERAL_FILES)
    try:
        texts = text_path.read_text(encoding="utf-8").split("\n")
        labels = label_path.read_text(encoding="utf-8").split()
    except FileNotFoundError as error:
        raise DataMissing(f"no labelled tweets at {error.filename}") from None
    return [Example(text, TWEETEVAL_LABELS[label], GENERAL_WEIGHT, "general")
            for text, label in zip(texts, labels)]


def held_out_split(examples: Sequence[Example], seed: int = SPLIT_SEED,
                   share: float = HELD_OUT_SHARE) -> tuple[list[Example], list[Example]]:
    """(tuning, held out), each label split in the same proportion."""
    rng = random.Random(seed)
    tuning, held_out = [], []
    for label in sorted({e.label for e in examples}):
        group = [e for e in examples if e.label == label]
        rng.shuffle(group)
        cut = round(len(group) * share)
        held_out.extend(group[:cut])
        tuning.extend(group[cut:])
    return tuning, held_out


def sentiment_examples(posts: Iterable[Post], source: str) -> list[Example]:
    """The posts with a sentiment, each weighted by the crowd's agreement
    on it where the set gives one: a label a third of the crowd doubted
    teaches less. Chosen by cross-validation over the training brands
    (fitted on one, measured on the other): mean macro-F1 0.663 against
    0.657 unweighted."""
    return [Example(p.text, p.sentiment, 1.0 if p.confidence is None else p.confidence, source)
            for p in posts if p.sentiment]


def shipped_examples(data_dir: Path = DEFAULT_DATA_DIR) -> tuple[list[Example], list[Example]]:
    """(training examples, held-out care posts) for the shipped sentiment
    model: the posts to the training brands with the crowd's sentiment
    (airlines, Apple) and the general tweets; the posts to the held-out
    airline."""
    data = labelled_data(data_dir)
    training = sentiment_examples(data.training("airline"), "care") + sentiment_examples(data.training("apple"),
                                                                                             "apple")
    return training + general_examples(data_dir), sentiment_examples(data.held_out("airline"), "care")


def needs_examples(posts: Iterable[Post], weight: float, source: str) -> list[Example]:
    return [Example(p.text, NEEDS if p.needs_response else NO_NEED, weight, source)
            for p in posts if p.needs_response is not None]


def shipped_needs_examples(data_dir: Path = DEFAULT_DATA_DIR) -> tuple[list[Example], list[Example]]:
    """(training examples, held-out posts) for the needs-a-person model:
    every set that says whether a post needed a person, weighted by
    `NEEDS_WEIGHTS`, split by brand; evaluation-only sets in neither."""
    data = labelled_data(data_dir)
    training, held_out = [], []
    for name in READERS:
        if name not in EVALUATION_ONLY:
            training += needs_examples(data.training(name), NEEDS_WEIGHTS[name], name)
            held_out += needs_examples(data.held_out(name), 1.0, name)
    general = [Example(e.text, NO_NEED, NEEDS_WEIGHTS["general"], "general") for e in general_examples(data_dir)]
    return training + general, held_out


def shipped_topic_examples(data_dir: Path = DEFAULT_DATA_DIR) -> tuple[list[Example], list[Example]]:
    """(training examples, held-out posts) for the shipped topic model:
    the same split of the care posts as the sentiment model's."""
    data = labelled_data(data_dir)
    return (topic_examples(sentiment_examples(data.training("airline"), "care"), data_dir),
            topic_examples(sentiment_examples(data.held_out("airline"), "care"), data_dir))


def correction_example(text: str, field: str, corrected: str) -> Example | None:
    """The sentiment an agent's correction gives a post, if it gives one."""
    if field == "sentiment" and corrected in LABELS:
        return Example(text, corrected, CORRECTION_WEIGHT, "correction")
    return None


def needs_correction_example(text: str, field: str, corrected: str) -> Example | None:
    """Whether a post needed a person, by an agent's correction: "no
    response needed" on a ticketed post, or a post taken into a ticket."""
    if field == "needs_response":
        wanted = corrected.strip().lower() in ("true", "1", "yes")
        return Example(text, NEEDS if wanted else NO_NEED, CORRECTION_WEIGHT, "correction")
    return None


def topic_correction_example(text: str, field: str, corrected: str, topics: Iterable[str]) -> Example | None:
    """An agent's choice of topic, when it is one of `topics`."""
    if field == "topic" and corrected in set(topics):
        return Example(text, corrected, CORRECTION_WEIGHT, "correction")
    return None
