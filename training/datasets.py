"""The labelled customer-care sets in the shared data, read as posts with
their brand, industry and whatever labels the set has.

- airline: tweets to two US airlines with the crowd's sentiment. A
  negative one is a complaint and needs a person, a positive one does not;
  a neutral one may be a question or small talk, so it says nothing.
- apple: tweets mentioning Apple with the crowd's sentiment, many about the
  stock or the news. One that is not negative needs no person; a negative
  one may be about the stock, so it says nothing about needing one.
- twcs: customer tweets to about ninety brands' support accounts, and
  whether the brand answered (a reply to it exists): whether a person was
  needed, as the brands saw it.
- telecom: tweets to telecom and TV brands labelled complaint or not by
  three annotators. No licence: evaluation only, never fitted on.
- cfpb: consumer-finance complaints to companies, each answered: all
  complaints, all needing a person."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from training.brands import brand_of

EXTRA = Path("customer-care-extra")
CARE_FILE = Path("customer-care") / "airline_dev.csv"
TWCS_FILE = EXTRA / "twcs_inbound_extra.csv"
BRAND_TWEETS_FILE = EXTRA / "brand_tweets_labelled.csv"
CFPB_FILE = EXTRA / "cfpb_complaints_narratives.csv"
EVALUATION_ONLY = frozenset({"telecom"})
_CROWD_SENTIMENT = {"negative": "negative", "neutral": "neutral", "positive": "positive"}


@dataclass(frozen=True)
class Post:
    text: str
    source: str
    brand: str
    industry: str
    sentiment: str | None = None
    needs_response: bool | None = None
    complaint: bool | None = None
    # The crowd's agreement on the sentiment label, where given.
    confidence: float | None = None
    # The post replies inside a conversation with the brand rather than
    # starting one (twcs), where known.
    in_conversation: bool | None = None


class DataMissing(Exception):
    """The shared labelled data is not where it was looked for."""


def _rows(data_dir: Path, name: Path) -> list[dict[str, str]]:
    path = Path(data_dir) / name
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    except FileNotFoundError:
        raise DataMissing(f"no labelled customer-care posts at {path}") from None


def airline_posts(data_dir: Path) -> list[Post]:
    posts = []
    for row in _rows(data_dir, CARE_FILE):
        sentiment = _CROWD_SENTIMENT.get(row["airline_sentiment"])
        if sentiment is None:
            continue
        brand, industry = brand_of(row.get("airline", ""), "airline")
        posts.append(Post(row["text"], "airline", brand, industry, sentiment,
                          {"negative": True, "positive": False}.get(sentiment),
                          confidence=_number(row.get("airline_sentiment_confidence"))))
    return posts


def apple_posts(data_dir: Path) -> list[Post]:
    posts = []
    for row in _rows(data_dir, BRAND_TWEETS_FILE):
        if row["source"] != "crowdflower_apple_twitter_sentiment":
            continue
        brand, industry = brand_of(row["brand"] or "apple")
        sentiment = _CROWD_SENTIMENT.get(row["sentiment"])
        needs = None if sentiment == "negative" else False
        posts.append(Post(row["text"], "apple", brand, industry, sentiment, needs,
                          confidence=_number(row["label_confidence"])))
    return posts


def twcs_posts(data_dir: Path) -> list[Post]:
    """The customer tweets whose answer is known (the random sample of the
    full set; the other sample has the text alone)."""
    return [Post(row["text"], "twcs", *brand_of(row["brand"]), needs_response=row["has_reply"] == "True",
                 in_conversation={"True": False, "False": True}.get(row.get("is_conversation_start", "")))
            for row in _rows(data_dir, TWCS_FILE) if row["has_reply"] in ("True", "False")]


def telecom_posts(data_dir: Path) -> list[Post]:
    """Evaluation only. A complaint needs a person; a post that is not one
    may still ask something, so it says nothing about needing one."""
    posts = []
    for row in _rows(data_dir, BRAND_TWEETS_FILE):
        if row["source"] != "rigautantoine_telecom_complaints" or row["complaint"] not in ("0", "1"):
            continue
        complaint = row["complaint"] == "1"
        posts.append(Post(row["text"], "telecom", *brand_of(row["brand"], "telecom"),
                          needs_response=True if complaint else None, complaint=complaint))
    return posts


def cfpb_posts(data_dir: Path) -> list[Post]:
    return [Post(row["narrative"], "cfpb", *brand_of(row["company"], "finance"), needs_response=True,
                 complaint=True)
            for row in _rows(data_dir, CFPB_FILE) if row["narrative"].strip()]


READERS = {"airline": airline_posts, "apple": apple_posts, "twcs": twcs_posts, "telecom": telecom_posts,
           "cfpb": cfpb_posts}


def all_posts(data_dir: Path) -> dict[str, list[Post]]:
    return {name: read(data_dir) for name, read in READERS.items()}


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
