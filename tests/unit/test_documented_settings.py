"""Every TOML example in the README and docs/ is a config file closeloop
takes as it is: it parses, and its settings validate."""

import re
from pathlib import Path

import pytest

from config import load_settings

ROOT = Path(__file__).parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLE = re.compile(r"^```toml\n(.*?)^```", re.DOTALL | re.MULTILINE)


def examples() -> list:
    """Each example, named by its page and line."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in EXAMPLE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(pytest.param(match.group(1), id=f"{page.name}:{line}"))
    return found


def test_the_docs_hold_examples_to_check():
    assert len(examples()) >= 5


@pytest.mark.parametrize("block", examples())
def test_a_documented_config_loads(block, tmp_path):
    path = tmp_path / "closeloop.toml"
    path.write_text(block, encoding="utf-8")
    load_settings(path, env={})
