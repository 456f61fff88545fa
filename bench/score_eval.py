"""How well the scorer reads sentiment and topics, measured on the shared
labelled data beside TextBlob alone and VADER alone, and how fast it is.

    .venv/bin/python bench/score_eval.py [--data-dir ../shared/data] [--speed-texts 20000]

- Customer care (customer-care/airline_dev.csv): 3-class accuracy and
  macro-F1, precision and recall of negative posts, and topic accuracy
  against the crowd's `negativereason` (posts with a known reason, mapped
  to the default taxonomy by `training.examples.REASON_TOPICS`). The care models
  (sentiment and topic) were trained on the tuning part (a fixed, seeded
  70%) and their settings chosen by cross-validation on it; the held-out
  30% was used for neither. The held-out figures are also given for the
  posts whose crowd label was given with some agreement. VADER and TextBlob
  have no topic model: their topic column is the keyword taxonomy alone.
- Sets nothing was tuned on: TweetEval's validation split and the
  Sentiment140 test set (3 classes), the UCI sentences (2 classes: a post
  counts as right when its polarity has the label's sign).
- VADER's human-rated sets: Pearson and Spearman correlation of polarity
  with the mean rating (these are the texts VADER's own lexicon was
  checked against, so VADER is at home there).
- Throughput: posts per second, the process pinned to one core.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import load_settings  # noqa: E402
from listener.scoring import Scorer  # noqa: E402
from listener.sentiment_model import SHIPPED_MODEL  # noqa: E402
from training.examples import (  # noqa: E402
    CARE_FILE,
    DEFAULT_DATA_DIR,
    REASON_TOPICS,
    Example,
    care_examples,
    held_out_split,
)
from training.figures import figures  # noqa: E402

SCORERS = ("care", "vader", "textblob")
# Crowd labels with less agreement than this are close to a coin toss
# between two labels; the figures on the rest show how much they weigh.
AGREEMENT = 0.7
TARGETS = "targets: macro-F1 >= 0.70, negative recall >= 0.85 at precision >= 0.85, topic accuracy >= 0.65"


def scorer_for(name: str) -> Scorer:
    return Scorer(load_settings(env={}, overrides={"scoring": {"scorer": name}}).scoring)


def read_care_rows(data_dir: Path) -> dict[str, dict[str, str]]:
    with open(data_dir / CARE_FILE, newline="", encoding="utf-8") as f:
        return {row["text"]: row for row in csv.DictReader(f)}


def read_tweeteval_validation(data_dir: Path) -> list[Example]:
    folder = data_dir / "sentiment" / "tweeteval_sentiment"
    texts = (folder / "val_text.txt").read_text(encoding="utf-8").split("\n")
    labels = (folder / "val_labels.txt").read_text(encoding="utf-8").split()
    names = {"0": "negative", "1": "neutral", "2": "positive"}
    return [Example(t, names[label]) for t, label in zip(texts, labels)]


def read_sentiment140(data_dir: Path) -> list[Example]:
    raw = (data_dir / "sentiment" / "sentiment140_test" / "testdata.manual.2009.06.14.csv").read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    names = {"0": "negative", "2": "neutral", "4": "positive"}
    rows = csv.reader(io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n")))
    return [Example(row[5], names[row[0]]) for row in rows if len(row) >= 6 and row[0] in names]


def read_uci(data_dir: Path) -> list[Example]:
    examples = []
    for path in sorted((data_dir / "sentiment" / "uci_sentiment_sentences").glob("*_labelled.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            sentence, _, label = line.rpartition("\t")
            if label.strip() in ("0", "1"):
                examples.append(Example(sentence, "positive" if label.strip() == "1" else "negative"))
    return examples


def read_vader_ratings(data_dir: Path, name: str) -> list[tuple[str, float]]:
    rated = []
    path = data_dir / "sentiment" / "vader" / f"{name}_GroundTruth.txt"
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3:
            rated.append((parts[2], float(parts[1])))
    return rated


def sentiment_row(scorer: Scorer, examples: list[Example], reasons: dict[str, str] | None = None) -> dict:
    scores = scorer.score_many([e.text for e in examples])
    result = figures([e.label for e in examples], [s.sentiment for s in scores]).as_dict()
    if reasons is not None:
        known = [(REASON_TOPICS[reasons[e.text]], s.topic) for e, s in zip(examples, scores)
                 if reasons.get(e.text) in REASON_TOPICS]
        result["topic_accuracy"] = sum(1 for want, got in known if want == got) / len(known) if known else 0.0
        result["topic_count"] = len(known)
    return result


def negative_tradeoff(scorer: Scorer, examples: list[Example]) -> tuple[float, float]:
    """Moving the negative threshold alone: the best precision with recall
    at least 0.85, and the best recall with precision at least 0.85."""
    scored = sorted((s.polarity, e.label == "negative")
                    for s, e in zip(scorer.score_many([e.text for e in examples]), examples))
    negatives = sum(1 for _, negative in scored if negative)
    best_precision = best_recall = 0.0
    hits = 0
    for taken, (_, negative) in enumerate(scored, start=1):
        hits += negative
        precision, recall = hits / taken, hits / negatives
        if recall >= 0.85:
            best_precision = max(best_precision, precision)
        if precision >= 0.85:
            best_recall = max(best_recall, recall)
    return best_precision, best_recall


def two_class_row(scorer: Scorer, examples: list[Example]) -> dict:
    scores = scorer.score_many([e.text for e in examples])
    right = sum(1 for e, s in zip(examples, scores)
                if (s.polarity > 0 and e.label == "positive") or (s.polarity < 0 and e.label == "negative"))
    negatives = figures([e.label for e in examples], [s.sentiment for s in scores])
    return {"count": len(examples), "accuracy": right / len(examples),
            "negative_precision": negatives.negative_precision, "negative_recall": negatives.negative_recall}


def correlations(scorer: Scorer, rated: list[tuple[str, float]]) -> tuple[float, float]:
    polarity = [s.polarity for s in scorer.score_many([t for t, _ in rated])]
    human = [r for _, r in rated]
    return statistics.correlation(polarity, human), statistics.correlation(_ranks(polarity), _ranks(human))


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2
        start = end + 1
    return ranks


def throughput(scorer: Scorer, texts: list[str], count: int) -> tuple[float, float]:
    """Posts per second scoring one at a time, and through score_many in
    batches of 500. Texts are taken in turn up to `count`."""
    sample = [texts[i % len(texts)] for i in range(count)]
    scorer.score_many(sample[:1000])
    start = time.process_time()
    for text in sample:
        scorer.score(text)
    one_by_one = count / (time.process_time() - start)
    start = time.process_time()
    for at in range(0, count, 500):
        scorer.score_many(sample[at:at + 500])
    batched = count / (time.process_time() - start)
    return one_by_one, batched


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned (no sched_setaffinity here)"


def print_table(title: str, rows: dict[str, dict], columns: list[tuple[str, str]]) -> None:
    print(f"\n{title}")
    print(f"{'scorer':<10}" + "".join(f"{label:>12}" for _, label in columns))
    for name, row in rows.items():
        cells = []
        for key, _ in columns:
            value = row.get(key)
            cells.append(f"{'-':>12}" if value is None else f"{value:>12,}" if isinstance(value, int)
                         else f"{value:>12.3f}")
        print(f"{name:<10}" + "".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--speed-texts", type=int, default=20_000)
    args = parser.parse_args()
    data_dir = args.data_dir
    if not (data_dir / CARE_FILE).exists():
        sys.exit(f"no labelled data at {data_dir} (pass --data-dir)")

    pinned = pin_to_one_core()
    print(f"Python {sys.version.split()[0]}, {pinned}; data from {data_dir}")
    scorers = {name: scorer_for(name) for name in SCORERS}
    model_info = scorers["care"].model.info
    print(f"care model: seed {model_info.get('seed')}, trained on {model_info.get('examples')}")

    care = care_examples(data_dir)
    tuning, held_out = held_out_split(care)
    rows = read_care_rows(data_dir)
    reasons = {text: row["negativereason"] for text, row in rows.items()}
    agreed = [e for e in held_out if float(rows[e.text]["airline_sentiment_confidence"] or 0) >= AGREEMENT]
    care_columns = [("count", "posts"), ("accuracy", "accuracy"), ("macro_f1", "macro-F1"),
                    ("negative_precision", "neg. prec."), ("negative_recall", "neg. recall"),
                    ("topic_accuracy", "topic acc."), ("topic_count", "topics")]
    for title, part in (("customer care, held-out 30% (not trained or tuned on)", held_out),
                        (f"customer care, held-out posts whose crowd label had confidence >= {AGREEMENT}", agreed),
                        ("customer care, tuning 70% (trained and tuned on)", tuning),
                        ("customer care, all", care)):
        print_table(f"{title}; {TARGETS}", {n: sentiment_row(s, part, reasons) for n, s in scorers.items()},
                    care_columns)
        precision, recall = negative_tradeoff(scorers["care"], part)
        print(f"care, negative threshold moved: best precision at recall >= 0.85: {precision:.3f}; "
              f"best recall at precision >= 0.85: {recall:.3f}")

    sentiment_columns = care_columns[:5]
    print_table("TweetEval validation (3 classes, not tuned on)",
                {n: sentiment_row(s, read_tweeteval_validation(data_dir)) for n, s in scorers.items()},
                sentiment_columns)
    print_table("Sentiment140 test (3 classes, not tuned on)",
                {n: sentiment_row(s, read_sentiment140(data_dir)) for n, s in scorers.items()}, sentiment_columns)
    print_table("UCI sentences: Amazon, IMDb, Yelp (2 classes by polarity sign, not tuned on)",
                {n: two_class_row(s, read_uci(data_dir)) for n, s in scorers.items()},
                [("count", "posts"), ("accuracy", "accuracy"), ("negative_precision", "neg. prec."),
                 ("negative_recall", "neg. recall")])

    for name in ("tweets", "amazonReviewSnippets", "nytEditorialSnippets"):
        rated = read_vader_ratings(data_dir, name)
        rows = {}
        for scorer_name, scorer in scorers.items():
            pearson, spearman = correlations(scorer, rated)
            rows[scorer_name] = {"count": len(rated), "pearson": pearson, "spearman": spearman}
        print_table(f"VADER human ratings: {name} (polarity against the mean rating)", rows,
                    [("count", "texts"), ("pearson", "Pearson"), ("spearman", "Spearman")])

    texts = [e.text for e in care]
    print(f"\nthroughput on one core, customer-care posts ({args.speed_texts:,} scored, CPU time)")
    print(f"{'scorer':<10}{'one by one':>14}{'score_many':>14}")
    for name, scorer in scorers.items():
        count = args.speed_texts if name != "textblob" else max(1, args.speed_texts // 4)
        one, many = throughput(scorer, texts, count)
        print(f"{name:<10}{one:>12,.0f}/s{many:>12,.0f}/s")
    print(f"\nshipped model file: {math.ceil(SHIPPED_MODEL.stat().st_size / 1024):,} KiB")


if __name__ == "__main__":
    main()
