"""docs/configuration.md is written from the settings model, and every
setting has a description to write."""

from pathlib import Path

from closeloop.settings_reference import described_keys, reference

PAGE = Path(__file__).parents[2] / "docs" / "configuration.md"


def test_every_setting_has_a_description():
    missing = [key for key, field in described_keys() if not (field.description or "").strip()]
    assert missing == [], f"settings without Field(description=...): {', '.join(missing)}"


def test_the_committed_reference_is_what_the_generator_writes():
    assert PAGE.read_text(encoding="utf-8") == reference(), (
        "docs/configuration.md is out of date: run `closeloop settings-reference --output docs/configuration.md`")


def test_the_reference_lists_keys_inside_tables_and_lists_with_their_defaults():
    page = reference()
    assert "| `web.port` | integer, from 0 to 65535 | `8000` |" in page
    assert "| `teams.<name>.leads` |" in page
    assert "| `sources[].poll_seconds` | integer, optional, from 1 |" in page
    assert "| `database.url` |" in page and "sqlite:///closeloop.db" in page
