"""`closeloop retrain`: refit the sentiment, topic and needs-a-person
models from the labelled data and the team's corrections, compare each with
the current one on posts neither was fitted on, and keep each only if it
does no worse.

The held-out posts are the labelled posts to the held-out brands plus a
seeded share of the corrections, so a team's own posts count in the
comparison as soon as there are a few. The taxonomy's examples and the
team's topic corrections teach the topic model the brand's own topics,
beyond those of the labelled posts. "No response needed" on a ticketed post
and a post taken into a ticket teach the needs-a-person model, each way."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import ScoringSettings
from listener.scoring import Scorer
from listener.sentiment_model import save_model
from store.models import Correction, Mention
from training.examples import (
    Example,
    correction_example,
    held_out_split,
    needs_correction_example,
    shipped_examples,
    shipped_needs_examples,
    shipped_topic_examples,
    taxonomy_examples,
    topic_correction_example,
)
from training.figures import Figures, NeedsFigures, evaluate, evaluate_needs
from training.fit import train, train_needs_response, train_topics


@dataclass(frozen=True)
class TopicFigures:
    count: int
    accuracy: float | None

    def __str__(self) -> str:
        return "-" if self.accuracy is None else f"{self.accuracy:.3f}"

    def no_worse_than(self, other: TopicFigures) -> bool:
        return self.accuracy is not None and (other.accuracy is None or self.accuracy >= other.accuracy)


@dataclass(frozen=True)
class RetrainOutcome:
    target: Path
    trained_on: int
    corrections_trained: int
    held_out: int
    corrections_held_out: int
    before: Figures
    after: Figures
    topics_before: TopicFigures
    topics_after: TopicFigures
    sentiment_replaced: bool
    topics_replaced: bool
    needs_held_out: int
    needs_corrections_held_out: int
    needs_before: NeedsFigures
    needs_after: NeedsFigures | None
    needs_replaced: bool
    seed: int

    def report_lines(self) -> list[str]:
        lines = [f"held out: {self.held_out:,} labelled care posts + {self.corrections_held_out} corrections "
                 f"({self.topics_before.count} with a topic); needs a person: {self.needs_held_out:,} labelled "
                 f"posts + {self.needs_corrections_held_out} corrections",
                 f"{'model':<12}{'accuracy':>10}{'macro-F1':>10}{'neg. prec.':>12}{'neg. recall':>13}"
                 f"{'topic acc.':>12}{'needs found':>13}{'taken':>8}"]
        for name, f, topics, needs in (("current", self.before, self.topics_before, self.needs_before),
                                       ("retrained", self.after, self.topics_after, self.needs_after)):
            lines.append(f"{name:<12}{f.accuracy:>10.3f}{f.macro_f1:>10.3f}{f.negative_precision:>12.3f}"
                         f"{f.negative_recall:>13.3f}{str(topics):>12}{_share(needs and needs.recall):>13}"
                         f"{_share(needs and needs.rate_not_needed):>8}")
        lines.append(f"trained on {self.trained_on:,} labelled posts + {self.corrections_trained} corrections "
                     f"(seed {self.seed})")
        after = "-" if self.needs_after is None else f"{self.needs_after.balanced_accuracy:.3f}"
        compared = (f"macro-F1 {self.before.macro_f1:.3f} -> {self.after.macro_f1:.3f}; "
                    f"topic accuracy {self.topics_before} -> {self.topics_after}; "
                    f"needs a person, balanced accuracy {self.needs_before.balanced_accuracy:.3f} -> {after}")
        parts = (("sentiment", self.sentiment_replaced), ("topic", self.topics_replaced),
                 ("needs-a-person", self.needs_replaced))
        replaced = [part for part, is_replaced in parts if is_replaced]
        kept = [part for part, is_replaced in parts if not is_replaced]
        if not replaced:
            lines.append(f"kept the current model: the retrained one does worse ({compared})")
            return lines
        lines.append(f"saved to {self.target}: the retrained {_listed(replaced)} model does no worse ({compared}); "
                     f"restart to use it")
        if kept:
            lines.append(f"kept the current {_listed(kept)} model: the retrained one does worse, so the "
                         f"corrections it learns from wait for the next retrain")
        return lines


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


class Corrections(NamedTuple):
    """The examples the team's corrections give each model."""

    sentiment: list[Example]
    topics: list[Example]
    needs_response: list[Example]


def correction_examples(session: Session, topics: tuple[str, ...] = ()) -> Corrections:
    """The examples from the team's corrections: one per post and
    corrected field, from the latest correction of it. A topic counts when
    it is one of `topics`."""
    rows = session.execute(
        select(Correction.mention_id, Correction.field, Correction.original, Correction.corrected, Mention.text)
        .join(Mention, Correction.mention_id == Mention.id)
        .order_by(Correction.created_at, Correction.id)
    )
    latest = {(mention_id, field): (text, field, original, corrected)
              for mention_id, field, original, corrected, text in rows}
    corrections = Corrections([], [], [])
    for text, field, _, corrected in latest.values():
        for examples, example in ((corrections.sentiment, correction_example(text, field, corrected)),
                                  (corrections.topics, topic_correction_example(text, field, corrected, topics)),
                                  (corrections.needs_response, needs_correction_example(text, field, corrected))):
            if example is not None:
                examples.append(example)
    return corrections


def retrain_model(session: Session, scoring: ScoringSettings, target: Path, data_dir: Path,
                  seed: int = 0) -> RetrainOutcome:
    training, held_out = shipped_examples(data_dir)
    topic_training, topic_held_out = shipped_topic_examples(data_dir)
    needs_training, needs_held_out = shipped_needs_examples(data_dir)
    corrections = correction_examples(session, tuple(scoring.taxonomy))
    corrections_trained, corrections_held_out = held_out_split(corrections.sentiment)
    topics_trained, topics_held_out = held_out_split(corrections.topics)
    needs_trained, needs_corrections_held_out = held_out_split(corrections.needs_response)
    evaluation = held_out + corrections_held_out
    topic_evaluation = topic_held_out + topics_held_out
    needs_evaluation = needs_held_out + needs_corrections_held_out

    care = scoring.model_copy(update={"scorer": "care"})
    current = Scorer(care, model_path=str(target))
    model = train(training + corrections_trained, seed=seed)
    model.info["corrections"] = len(corrections_trained)
    topic_examples = topic_training + taxonomy_examples(scoring.topics) + topics_trained
    if len({e.label for e in topic_examples}) > 1:
        model.topics = train_topics(topic_examples, seed=seed)
        model.topics.info["corrections"] = len(topics_trained)
    needs_examples = needs_training + needs_trained
    if len({e.label for e in needs_examples}) > 1:
        model.needs_response = train_needs_response(needs_examples, seed=seed)
        model.needs_response.info["corrections"] = len(needs_trained)
    candidate = Scorer(care, model=model)

    before = evaluate(lambda text: current.score(text).sentiment, evaluation)
    after = evaluate(lambda text: candidate.score(text).sentiment, evaluation)
    topics_before = _topic_figures(current, topic_evaluation)
    topics_after = _topic_figures(candidate, topic_evaluation) if model.topics else TopicFigures(0, None)
    needs_before = evaluate_needs(lambda text: current.score(text).needs_response, needs_evaluation)
    needs_after = (evaluate_needs(lambda text: candidate.score(text).needs_response, needs_evaluation)
                   if model.needs_response else None)
    sentiment_replaced = after.macro_f1 >= before.macro_f1
    topics_replaced = topics_after.no_worse_than(topics_before)
    needs_replaced = needs_after is not None and needs_after.balanced_accuracy >= needs_before.balanced_accuracy
    if sentiment_replaced or topics_replaced or needs_replaced:
        # A copy: the model in use may be the shipped one, shared by every scorer of this process.
        kept = model if sentiment_replaced else copy.copy(current.model)
        kept.topics = model.topics if topics_replaced else current.model.topics
        kept.needs_response = model.needs_response if needs_replaced else current.model.needs_response
        save_model(kept, target)
    return RetrainOutcome(target, len(training), len(corrections_trained) + len(topics_trained) + len(needs_trained),
                          len(held_out), len(corrections_held_out) + len(topics_held_out),
                          before, after, topics_before, topics_after, sentiment_replaced, topics_replaced,
                          len(needs_held_out), len(needs_corrections_held_out), needs_before, needs_after,
                          needs_replaced, seed)


def _topic_figures(scorer: Scorer, examples: list[Example]) -> TopicFigures:
    if not examples:
        return TopicFigures(0, None)
    right = sum(1 for e in examples if scorer.score(e.text).topic == e.label)
    return TopicFigures(len(examples), right / len(examples))
