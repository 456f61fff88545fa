"""How well the scorer decides, on brands and industries its models never
saw, beside VADER alone, TextBlob alone and a plain TF-IDF baseline, and
how fast it is.

    .venv/bin/python bench/score_eval.py [--data-dir ../shared/data] [--speed-texts 20000]

The labelled sets are split by brand (training/brands.py): the shipped
models were fitted on the other brands only, and the telecom set (no
licence) on none. The TF-IDF baseline (scikit-learn's logistic regression
over TF-IDF words and word pairs seen twice or more, sublinear counts) is
fitted here on the same training examples as the care models, one model
per target, and decides with no rules.

- Sentiment: macro-F1, precision and recall of negative posts. The airline
  posts have three labels; the telecom posts are complaints or not, and a
  complaint counts as negative; every consumer-finance narrative is one.
- Needs a person: the share found of the posts that need one (a brand
  answered it, or it is a complaint) and the share taken of the posts a
  brand left unanswered or praise; on the customer tweets also with the
  scorer told which posts reply inside a conversation with the brand
  (what intake tells it of an answer to our reply on an open ticket).
- Topics (airline posts whose crowd reason maps to a topic): accuracy, and
  purity (of the posts given a topic, the share that has the topic most
  of that topic's posts have).
- Sets nothing was tuned on: TweetEval validation, Sentiment140 test (3
  classes) and the UCI sentences (2 classes, by the sign of the polarity).
- Throughput of score_many, the process pinned to one core, against the
  VADER scorer on the same texts, and against bare VADER: each scorer's
  best of three rounds, the scorers taken in turn in each round.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import load_settings  # noqa: E402
from listener import lexicons  # noqa: E402
from listener.scoring import Scorer, ScoringContext  # noqa: E402
from listener.sentiment_model import SHIPPED_MODEL  # noqa: E402
from training import missing_libraries  # noqa: E402
from training.datasets import CARE_FILE, Post  # noqa: E402
from training.examples import (  # noqa: E402
    DEFAULT_DATA_DIR,
    NEEDS,
    REASON_TOPICS,
    Example,
    LabelledData,
    labelled_data,
    shipped_examples,
    shipped_needs_examples,
    shipped_topic_examples,
    taxonomy_examples,
)
from training.figures import NEGATIVE_TARGET, figures, needs_figures, negative_tradeoff  # noqa: E402

SCORERS = ("care", "vader", "textblob")
NAMES = {"care": "care", "vader": "VADER", "textblob": "TextBlob", "tfidf": "TF-IDF"}
# Throughput is each scorer's best of this many rounds.
SPEED_ROUNDS = 3
TARGETS = ("targets: macro-F1 >= 0.75 and >= TF-IDF + 0.05; negative precision >= 0.88 at recall >= 0.88; "
           "needs a person: recall >= 0.85 on posts brands answered; topic purity >= 0.65; "
           "throughput >= 0.5x VADER")


@dataclass(frozen=True)
class Decisions:
    sentiment: list[str]
    needs_response: list[bool]
    topic: list[str | None]
    polarity: list[float] | None = None


def scorer_for(name: str) -> Scorer:
    return Scorer(load_settings(env={}, overrides={"scoring": {"scorer": name}}).scoring)


def scorer_decisions(scorer: Scorer) -> Callable[[Sequence[str]], Decisions]:
    def decide(texts: Sequence[str]) -> Decisions:
        scores = scorer.score_many(texts)
        return Decisions([s.sentiment for s in scores], [s.needs_response for s in scores],
                         [s.topic for s in scores], [s.polarity for s in scores])
    return decide


class TfidfBaseline:
    """Logistic regression over TF-IDF words and word pairs, one per target,
    fitted on the care models' training examples with their weights."""

    def __init__(self, data_dir: Path):
        sentiment, _ = shipped_examples(data_dir)
        needs, _ = shipped_needs_examples(data_dir)
        topics, _ = shipped_topic_examples(data_dir)
        topics += taxonomy_examples(load_settings(env={}).scoring.topics)
        self.sentiment, self.needs, self.topics = (self._fit(e) for e in (sentiment, needs, topics))

    @staticmethod
    def _fit(examples: list[Example]):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
                              LogisticRegression(max_iter=2000))
        model.fit([e.text for e in examples], [e.label for e in examples],
                  logisticregression__sample_weight=[e.weight for e in examples])
        return model

    def __call__(self, texts: Sequence[str]) -> Decisions:
        texts = list(texts)
        return Decisions(list(self.sentiment.predict(texts)), [label == NEEDS for label in self.needs.predict(texts)],
                         list(self.topics.predict(texts)))


def sentiment_row(posts: list[Post], decided: Decisions) -> dict:
    """Three labels where the set has them, else complaint (negative) or not."""
    if all(p.sentiment for p in posts):
        gold, predicted = [p.sentiment for p in posts], decided.sentiment
    else:
        gold = ["negative" if p.complaint else "neutral" for p in posts]
        predicted = ["negative" if s == "negative" else "neutral" for s in decided.sentiment]
    f = figures(gold, predicted)
    return {"count": f.count, "macro_f1": f.macro_f1 if len(set(gold)) > 1 else None,
            "negative_precision": f.negative_precision, "negative_recall": f.negative_recall}


def needs_row(posts: list[Post], decided: Decisions) -> dict:
    f = needs_figures([p.needs_response for p in posts], decided.needs_response)
    return {"needed": f.needed, "recall": f.recall, "not_needed": f.not_needed, "rate": f.rate_not_needed}


def topic_row(gold: list[str], predicted: list[str | None]) -> dict:
    given = [(g, p) for g, p in zip(gold, predicted) if p]
    by_topic = defaultdict(Counter)
    for g, p in given:
        by_topic[p][g] += 1
    return {"count": len(gold), "topic_accuracy": sum(1 for g, p in zip(gold, predicted) if g == p) / len(gold),
            "given": len(given) / len(gold),
            "purity": sum(c.most_common(1)[0][1] for c in by_topic.values()) / len(given) if given else None}


def print_table(title: str, rows: dict[str, dict], columns: list[tuple[str, str]]) -> None:
    print(f"\n{title}")
    width = max(12, *(len(name) + 2 for name in rows))
    print(f"{'':<{width}}" + "".join(f"{label:>12}" for _, label in columns))
    for name, row in rows.items():
        cells = []
        for key, _ in columns:
            value = row.get(key)
            cells.append(f"{'-':>12}" if value is None else f"{value:>12,}" if isinstance(value, int)
                         else f"{value:>12.3f}")
        print(f"{name:<{width}}" + "".join(cells))


SENTIMENT_COLUMNS = [("count", "posts"), ("macro_f1", "macro-F1"), ("negative_precision", "neg. prec."),
                     ("negative_recall", "neg. recall")]
NEEDS_COLUMNS = [("needed", "need one"), ("recall", "found"), ("not_needed", "need none"), ("rate", "taken")]
TOPIC_COLUMNS = [("count", "posts"), ("topic_accuracy", "accuracy"), ("purity", "purity"), ("given", "given")]


def held_out_sets(data: LabelledData) -> dict[str, list[Post]]:
    """Each set's posts to held-out brands (the telecom set: all its
    posts whose brand is known, every one held out)."""
    return {name: data.held_out(name) for name in ("airline", "twcs", "telecom", "cfpb")}


def report_held_out(deciders: dict[str, Callable], sets: dict[str, list[Post]], reasons: dict[str, str]) -> None:
    decided = {(name, scorer): decide([p.text for p in posts])
               for name, posts in sets.items() for scorer, decide in deciders.items()}
    for name, posts in sets.items():
        industries = sorted({p.industry for p in posts})
        if any(p.sentiment or p.complaint is not None for p in posts):
            rows = {}
            for scorer in deciders:
                rows[NAMES[scorer]] = sentiment_row(posts, decided[name, scorer])
                if len(industries) > 1:
                    for industry in industries:
                        at = [n for n, p in enumerate(posts) if p.industry == industry]
                        rows[f"  {industry}: {NAMES[scorer]}"] = sentiment_row(
                            [posts[n] for n in at], _subset(decided[name, scorer], at))
            print_table(f"{name}, held-out brands: sentiment", rows, SENTIMENT_COLUMNS)
            polarity = decided[name, "care"].polarity
            precision, recall = negative_tradeoff(posts, polarity)
            print(f"care, negative threshold moved: best precision at recall >= {NEGATIVE_TARGET}: {precision:.3f}; "
                  f"best recall at precision >= {NEGATIVE_TARGET}: {recall:.3f}")
        labelled = [n for n, p in enumerate(posts) if p.needs_response is not None]
        if labelled:
            rows = {}
            for scorer in deciders:
                for industry in ([None] + industries if len(industries) > 1 else [None]):
                    at = [n for n in labelled if industry in (None, posts[n].industry)]
                    label = NAMES[scorer] if industry is None else f"  {industry}: {NAMES[scorer]}"
                    rows[label] = needs_row([posts[n] for n in at], _subset(decided[name, scorer], at))
            print_table(f"{name}, held-out brands: needs a person", rows, NEEDS_COLUMNS)
        topical = [n for n, p in enumerate(posts) if reasons.get(p.text)]
        if topical:
            gold = [reasons[posts[n].text] for n in topical]
            print_table(f"{name}, held-out brands: topics of the posts with a crowd reason",
                        {NAMES[s]: topic_row(gold, [decided[name, s].topic[n] for n in topical]) for s in deciders},
                        TOPIC_COLUMNS)


def report_replies_to_us(scorer: Scorer, posts: list[Post]) -> None:
    """Needs a person on the customer tweets, the care scorer told which
    posts reply inside a conversation with the brand (`answers_us`), as
    intake tells it of a post answering our reply on an open ticket."""
    contexts = [ScoringContext(answers_us=bool(p.in_conversation)) for p in posts]
    told = [s.needs_response for s in scorer.score_many([p.text for p in posts], contexts=contexts)]
    alone = [s.needs_response for s in scorer.score_many([p.text for p in posts])]
    rows = {}
    for label, decided in (("text alone", alone), ("told replies", told)):
        rows[label] = needs_row(posts, Decisions([], decided, []))
    replies = [n for n, p in enumerate(posts) if p.in_conversation]
    print_table(f"twcs, held-out brands: needs a person, care told which posts reply to the brand "
                f"({len(replies)} of {len(posts)} do)", rows, NEEDS_COLUMNS)


def _subset(decided: Decisions, at: list[int]) -> Decisions:
    return Decisions([decided.sentiment[n] for n in at], [decided.needs_response[n] for n in at],
                     [decided.topic[n] for n in at],
                     None if decided.polarity is None else [decided.polarity[n] for n in at])


def crowd_reasons(data_dir: Path) -> dict[str, str]:
    with open(data_dir / CARE_FILE, newline="", encoding="utf-8") as f:
        return {row["text"]: REASON_TOPICS[row["negativereason"]] for row in csv.DictReader(f)
                if row["negativereason"] in REASON_TOPICS}


def read_tweeteval_validation(data_dir: Path) -> list[Post]:
    folder = data_dir / "sentiment" / "tweeteval_sentiment"
    texts = (folder / "val_text.txt").read_text(encoding="utf-8").split("\n")
    labels = (folder / "val_labels.txt").read_text(encoding="utf-8").split()
    names = {"0": "negative", "1": "neutral", "2": "positive"}
    return [Post(t, "tweeteval", "", "", names[label]) for t, label in zip(texts, labels)]


def read_sentiment140(data_dir: Path) -> list[Post]:
    raw = (data_dir / "sentiment" / "sentiment140_test" / "testdata.manual.2009.06.14.csv").read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    names = {"0": "negative", "2": "neutral", "4": "positive"}
    rows = csv.reader(io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n")))
    return [Post(row[5], "sentiment140", "", "", names[row[0]]) for row in rows if len(row) >= 6 and row[0] in names]


def read_uci(data_dir: Path) -> list[Post]:
    posts = []
    for path in sorted((data_dir / "sentiment" / "uci_sentiment_sentences").glob("*_labelled.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            sentence, _, label = line.rpartition("\t")
            if label.strip() in ("0", "1"):
                posts.append(Post(sentence, "uci", "", "", "positive" if label.strip() == "1" else "negative"))
    return posts


def report_general(deciders: dict[str, Callable], data_dir: Path) -> None:
    for title, posts in (("TweetEval validation (3 classes, not tuned on)", read_tweeteval_validation(data_dir)),
                         ("Sentiment140 test (3 classes, not tuned on)", read_sentiment140(data_dir))):
        print_table(title, {NAMES[s]: sentiment_row(posts, d([p.text for p in posts])) for s, d in deciders.items()},
                    SENTIMENT_COLUMNS)
    posts = read_uci(data_dir)
    rows = {}
    for scorer, decide in deciders.items():
        decided = decide([p.text for p in posts])
        if decided.polarity is None:
            signs = [{"positive": 1, "negative": -1}.get(s, 0) for s in decided.sentiment]
        else:
            signs = decided.polarity
        right = sum(1 for p, v in zip(posts, signs) if (v > 0) == (p.sentiment == "positive") and v != 0)
        rows[NAMES[scorer]] = {"count": len(posts), "accuracy": right / len(posts)}
    print_table("UCI sentences: Amazon, IMDb, Yelp (2 classes by the sign, not tuned on)", rows,
                [("count", "posts"), ("accuracy", "accuracy")])


def throughput(decide: Callable[[Sequence[str]], object], texts: list[str], count: int) -> float:
    """Posts per second of CPU through `decide` in batches of 500, the
    texts taken in turn up to `count`, after one warm-up batch."""
    sample = [texts[i % len(texts)] for i in range(count)]
    decide(sample[:500])
    start = time.process_time()
    for at in range(0, count, 500):
        decide(sample[at:at + 500])
    return count / (time.process_time() - start)


def report_speed(scorers: dict[str, Scorer], baseline: TfidfBaseline, texts: list[str], count: int,
                 rounds: int = SPEED_ROUNDS) -> None:
    """Each decider's best of `rounds` rounds, the deciders taken in turn in
    each round: a busy spell on a shared machine then slows a round of
    every decider rather than the whole of one."""
    print(f"\nthroughput of score_many on one core, {count:,} held-out posts (CPU time, best of {rounds} rounds)")
    deciders: dict[str, tuple[Callable, int]] = {
        name: (scorer.score_many, count if name != "textblob" else max(500, count // 4))
        for name, scorer in scorers.items()}
    deciders["tfidf"] = (baseline, count)
    deciders["bare"] = (lambda batch: [lexicons.vader(t) for t in batch], count)
    rates: dict[str, float] = {}
    for _ in range(rounds):
        for name, (decide, posts) in deciders.items():
            rates[name] = max(rates.get(name, 0.0), throughput(decide, texts, posts))
    bare = rates.pop("bare")
    print(f"{'':<12}{'posts/s':>12}{'x VADER':>12}{'x bare VADER':>14}")
    for name, rate in rates.items():
        print(f"{NAMES[name]:<12}{rate:>12,.0f}{rate / rates['vader']:>12.2f}{rate / bare:>14.2f}")
    print(f"{'bare VADER':<12}{bare:>12,.0f}  (vaderSentiment's polarity_scores alone)")


def print_held_out_brands(data: LabelledData) -> None:
    social = defaultdict(set)
    for name in ("airline", "twcs", "telecom"):
        for post in data.held_out(name):
            social[post.industry].add(post.brand)
    companies = {p.brand for p in data.held_out("cfpb")} - social["finance"]
    print("held-out brands: " + "; ".join(f"{industry}: {', '.join(sorted(brands))}"
                                          for industry, brands in sorted(social.items()))
          + f"; and {len(companies)} companies of the consumer-finance complaints")


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned (no sched_setaffinity here)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--speed-texts", type=int, default=20_000)
    args = parser.parse_args()
    if problem := missing_libraries():
        sys.exit(problem)
    data_dir = args.data_dir
    if not (data_dir / CARE_FILE).exists():
        sys.exit(f"no labelled data at {data_dir} (pass --data-dir)")

    pinned = pin_to_one_core()
    print(f"Python {sys.version.split()[0]}, {pinned}; data from {data_dir}")
    scorers = {name: scorer_for(name) for name in SCORERS}
    model = scorers["care"].model
    print(f"care models: seed {model.info.get('seed')}; sentiment trained on {model.info.get('examples')}; "
          f"needs a person on {model.needs_response.info.get('examples') if model.needs_response else None}")
    data = labelled_data(data_dir)
    print_held_out_brands(data)
    baseline = TfidfBaseline(data_dir)
    deciders = {**{name: scorer_decisions(scorer) for name, scorer in scorers.items()}, "tfidf": baseline}
    print(TARGETS)

    sets = held_out_sets(data)
    report_held_out(deciders, sets, crowd_reasons(data_dir))
    report_replies_to_us(scorers["care"], sets["twcs"])
    report_general(deciders, data_dir)
    texts = [p.text for name in ("airline", "twcs", "telecom") for p in sets[name]]
    report_speed(scorers, baseline, texts, args.speed_texts)
    print(f"\nshipped model file: {math.ceil(SHIPPED_MODEL.stat().st_size / 1024):,} KiB")


if __name__ == "__main__":
    main()
