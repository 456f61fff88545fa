"""Training is apart from scoring: scoring a post loads none of the
training libraries, and nothing that runs the service imports `training`."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_PACKAGES = ("config", "connectors", "listener", "responder", "store", "web")
SCORE_A_POST = """
import sys
from config import load_settings
from listener.scoring import Scorer
Scorer(load_settings(env={}).scoring).score("still waiting for my refund, third time I ask")
print(" ".join(sorted({"numpy", "scipy", "sklearn", "training"} & set(sys.modules))))
"""


def test_scoring_a_post_imports_neither_scikit_learn_nor_numpy_nor_scipy():
    loaded = subprocess.run([sys.executable, "-c", SCORE_A_POST], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.split()
    assert loaded == []


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.add(node.module)
    return found


def test_no_runtime_package_imports_training():
    offenders = [str(path.relative_to(ROOT)) for package in RUNTIME_PACKAGES
                 for path in sorted((ROOT / package).rglob("*.py"))
                 if any(name == "training" or name.startswith("training.") for name in imported_modules(path))]
    assert offenders == []
