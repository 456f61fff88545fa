"""The emulator imports nothing of closeloop but its own parts, and no
platform's client library: the demo and the tests run it beside the
connectors it imitates, never through them."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CLIENT_LIBRARIES = {"tweepy", "praw", "prawcore", "facebook", "feedparser"}
OURS = {"config", "connectors", "listener", "store", "responder", "web", "closeloop", "training"}


def is_emulator_part(name: str) -> bool:
    """The connectors package, a platform folder's light __init__, or an emulator module."""
    parts = name.split(".")
    return parts[0] == "connectors" and (len(parts) <= 2 or parts[1] == "emulator" or parts[2].startswith("emulator"))


def test_the_emulator_imports_no_connector_and_no_client_library():
    code = "import sys; from connectors.emulator import create_app; create_app(); print(' '.join(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.split()

    assert CLIENT_LIBRARIES.isdisjoint(name.split(".")[0] for name in loaded)
    ours = [name for name in loaded if name.split(".")[0] in OURS]
    assert "connectors.x.emulator" in ours
    assert [name for name in ours if not is_emulator_part(name)] == []
