"""The settings in force are swapped whole: a change makes new settings and
everything made from them, and leaves the old ones as they were."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import ValidationError

from config import load_settings
from config.live import Live
from config.settings import Settings


@dataclass(frozen=True)
class Made:
    settings: Settings
    generation: int = 0

    def changed(self, settings: Settings) -> Made:
        return Made(settings, self.generation + 1)


@pytest.fixture
def live():
    return Live(Made(load_settings(env={})))


def test_settings_cannot_be_changed_in_place(live):
    with pytest.raises(ValidationError, match="frozen"):
        live.settings.routing.repeat_complaint_days = 9
    with pytest.raises(ValidationError, match="frozen"):
        live.settings.sla = None
    with pytest.raises(TypeError):
        live.settings.teams["night"] = live.settings.teams["care"]


def test_a_change_makes_everything_anew_and_leaves_the_old_whole(live):
    before = live.now
    after = live.change(overrides={"routing": {"repeat_complaint_days": 9}})
    assert live.now is after and after.generation == 1
    assert after.settings.routing.repeat_complaint_days == 9
    assert before.settings.routing.repeat_complaint_days == 3
    assert live.overrides == {"routing": {"repeat_complaint_days": 9}}
    assert live.base is before.settings


def test_a_new_config_file_keeps_the_changes_made_in_the_web(live):
    live.change(overrides={"routing": {"repeat_complaint_days": 9}})
    live.change(base=live.base.model_copy(update={"brand": live.base.brand.model_copy(update={"name": "Globex"})}))
    assert live.settings.brand.name == "Globex"
    assert live.settings.routing.repeat_complaint_days == 9


def test_changes_that_no_longer_fit_the_file_are_left_out_and_logged(live, caplog):
    live.change(overrides={"sla": {"first_response_minutes": {"urgent": 0}}})
    assert live.settings.sla.first_response_minutes.urgent == 30
    assert "sla.first_response_minutes.urgent = 0" in caplog.text
