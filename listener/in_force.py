"""The settings in force and the intake made from them, as one value that a
change replaces whole (see config/live.py)."""

from __future__ import annotations

from dataclasses import dataclass

from config.live import Live
from config.settings import Settings
from listener.intake import Intake


@dataclass(frozen=True)
class InForce:
    settings: Settings
    intake: Intake

    @classmethod
    def build(cls, settings: Settings) -> InForce:
        return cls(settings, Intake(settings))

    def changed(self, settings: Settings) -> InForce:
        """A new intake for `settings` (targets, routing); the scorer is kept,
        as scoring settings take a restart."""
        return InForce(settings, Intake(settings, scorer=self.intake.scorer))


def hold(settings: Settings) -> Live[InForce]:
    """A holder of `settings` and an intake made from them."""
    return Live(InForce.build(settings))
