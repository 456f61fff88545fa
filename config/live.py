"""The settings in force in one process, behind one reference.

Settings are immutable values. A change (the config file edited, an admin
saving targets in the web) never edits what is in force: it builds new
settings and everything made from them (the SLA clock, the intake, the
jobs), then swaps the one reference that every part of the process reads
through. A reader sees the old whole or the new whole, never a mix."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from config.errors import ConfigError
from config.settings import Settings

log = logging.getLogger(__name__)


class MadeFromSettings(Protocol):
    """Settings and what a process makes of them."""

    @property
    def settings(self) -> Settings: ...

    def changed(self, settings: Settings) -> MadeFromSettings:
        """The same things made anew from `settings`."""


Made = TypeVar("Made", bound=MadeFromSettings)


@dataclass(frozen=True)
class _State(Generic[Made]):
    base: Settings
    overrides: dict[str, Any]
    made: Made


class Live(Generic[Made]):
    """Holds what is in force: `base`, the config file's settings, with
    `overrides`, what admins changed in the web, and what was made of both."""

    def __init__(self, made: Made):
        self._state = _State(made.settings, {}, made)
        self._changing = threading.Lock()

    @property
    def now(self) -> Made:
        return self._state.made

    @property
    def settings(self) -> Settings:
        return self._state.made.settings

    @property
    def base(self) -> Settings:
        return self._state.base

    @property
    def overrides(self) -> dict[str, Any]:
        return self._state.overrides

    def change(self, *, base: Settings | None = None, overrides: dict[str, Any] | None = None) -> Made:
        """Make everything anew from `base` with `overrides` (each defaults
        to the one in force) and swap it in. Overrides that no longer fit
        the base are left out, with an error in the log."""
        with self._changing:
            state = self._state
            base = state.base if base is None else base
            overrides = dict(state.overrides if overrides is None else overrides)
            try:
                settings = base.with_overrides(overrides)
            except ConfigError as error:
                log.error("the settings changed in the web do not fit the config file; using the file's:\n%s", error)
                settings = base
            made = state.made.changed(settings)
            self._state = _State(base, overrides, made)
            return made
