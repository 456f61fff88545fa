"""`closeloop retrain`: refit the sentiment model from the labelled data
and the team's corrections, compare it with the current model on posts
neither was fitted on, and keep it only if it does no worse.

The held-out posts are the fixed held-out part of the labelled care posts
plus a seeded share of the corrections, so a team's own posts count in the
comparison as soon as there are a few."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import ScoringSettings
from listener.scoring import Scorer
from listener.sentiment_model import save_model
from listener.training import (
    Example,
    Figures,
    correction_example,
    evaluate,
    held_out_split,
    shipped_examples,
    train,
)
from store.models import Correction, Mention


@dataclass(frozen=True)
class RetrainOutcome:
    target: Path
    trained_on: int
    corrections_trained: int
    held_out: int
    corrections_held_out: int
    before: Figures
    after: Figures
    replaced: bool
    seed: int

    def report_lines(self) -> list[str]:
        lines = [f"held out: {self.held_out:,} labelled care posts + {self.corrections_held_out} corrections",
                 f"{'model':<12}{'accuracy':>10}{'macro-F1':>10}{'neg. prec.':>12}{'neg. recall':>13}"]
        for name, f in (("current", self.before), ("retrained", self.after)):
            lines.append(f"{name:<12}{f.accuracy:>10.3f}{f.macro_f1:>10.3f}{f.negative_precision:>12.3f}"
                         f"{f.negative_recall:>13.3f}")
        lines.append(f"trained on {self.trained_on:,} labelled posts + {self.corrections_trained} corrections "
                     f"(seed {self.seed})")
        change = f"macro-F1 {self.before.macro_f1:.3f} -> {self.after.macro_f1:.3f}"
        if self.replaced:
            lines.append(f"saved to {self.target}: it does no worse ({change}); restart to use it")
        else:
            lines.append(f"kept the current model: the retrained one does worse ({change})")
        return lines


def correction_examples(session: Session) -> list[Example]:
    """One labelled example per post and corrected field, from the latest
    correction of it."""
    rows = session.execute(
        select(Correction.mention_id, Correction.field, Correction.original, Correction.corrected, Mention.text)
        .join(Mention, Correction.mention_id == Mention.id)
        .order_by(Correction.created_at, Correction.id)
    )
    latest = {(mention_id, field): (text, field, original, corrected)
              for mention_id, field, original, corrected, text in rows}
    examples = (correction_example(*args) for args in latest.values())
    return [e for e in examples if e is not None]


def retrain_model(session: Session, scoring: ScoringSettings, target: Path, data_dir: Path,
                  seed: int = 0) -> RetrainOutcome:
    training, held_out = shipped_examples(data_dir)
    corrections_trained, corrections_held_out = held_out_split(correction_examples(session))
    evaluation = held_out + corrections_held_out
    care = scoring.model_copy(update={"scorer": "care"})
    current = Scorer(care, model_path=str(target))
    model = train(training + corrections_trained, seed=seed)
    model.info["corrections"] = len(corrections_trained)
    before = evaluate(lambda text: current.score(text).sentiment, evaluation)
    candidate = Scorer(care, model=model)
    after = evaluate(lambda text: candidate.score(text).sentiment, evaluation)
    replaced = after.macro_f1 >= before.macro_f1
    if replaced:
        save_model(model, target)
    return RetrainOutcome(target, len(training), len(corrections_trained), len(held_out),
                          len(corrections_held_out), before, after, replaced, seed)
