"""The examples the models learn from and are measured on: the shared
labelled data, split in a fixed, seeded way, and the team's corrections."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from config.settings import Topic
from listener.sentiment_model import LABELS

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
CARE_FILE = Path("customer-care") / "airline_dev.csv"
GENERAL_FILES = (Path("sentiment") / "tweeteval_sentiment" / "test_text.txt",
                 Path("sentiment") / "tweeteval_sentiment" / "test_labels.txt")
TWEETEVAL_LABELS = {"0": "negative", "1": "neutral", "2": "positive"}
# The held-out part of the customer-care posts: fixed, so figures from
# different runs and models compare.
SPLIT_SEED = 2015
HELD_OUT_SHARE = 0.3
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


class DataMissing(Exception):
    """The shared labelled data is not where it was looked for."""


def care_examples(data_dir: Path = DEFAULT_DATA_DIR) -> list[Example]:
    """Posts to brands with the crowd's sentiment label."""
    path = Path(data_dir) / CARE_FILE
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return [Example(row["text"], row["airline_sentiment"], source="care")
                    for row in csv.DictReader(f) if row["airline_sentiment"] in LABELS]
    except FileNotFoundError:
        raise DataMissing(f"no labelled customer-care posts at {path}") from None


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


def shipped_examples(data_dir: Path = DEFAULT_DATA_DIR) -> tuple[list[Example], list[Example]]:
    """(training examples, held-out care posts) for the shipped model."""
    tuning, held_out = held_out_split(care_examples(data_dir))
    return tuning + general_examples(data_dir), held_out


def shipped_topic_examples(data_dir: Path = DEFAULT_DATA_DIR) -> tuple[list[Example], list[Example]]:
    """(training examples, held-out posts) for the shipped topic model:
    the same split of the care posts as the sentiment model's."""
    tuning, held_out = held_out_split(care_examples(data_dir))
    return topic_examples(tuning, data_dir), topic_examples(held_out, data_dir)


def correction_example(text: str, field: str, original: str | None, corrected: str) -> Example | None:
    """The label an agent's correction implies, if it implies one: a new
    sentiment is one; "needs a response" means a complaint, "no response
    needed" on a post the scorer took for a complaint means it was not one."""
    if field == "sentiment" and corrected in LABELS:
        return Example(text, corrected, CORRECTION_WEIGHT, "correction")
    if field == "needs_response":
        wanted = corrected.strip().lower() in ("true", "1", "yes")
        if wanted:
            return Example(text, "negative", CORRECTION_WEIGHT, "correction")
        if original is not None and original.strip().lower() in ("true", "1", "yes"):
            return Example(text, "neutral", CORRECTION_WEIGHT, "correction")
    return None


def topic_correction_example(text: str, field: str, corrected: str, topics: Iterable[str]) -> Example | None:
    """An agent's choice of topic, when it is one of `topics`."""
    if field == "topic" and corrected in set(topics):
        return Example(text, corrected, CORRECTION_WEIGHT, "correction")
    return None
