"""The flow runs one way: each package imports only the packages the
architecture allows it (docs/architecture.md), and the emulator imports
none of ours, so it stays an independent stand-in for the platforms."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"config", "connectors", "listener", "store", "responder", "web", "training", "telemetry", "closeloop"}
MAY_IMPORT = {
    "config": set(),
    "telemetry": set(),
    "connectors": {"config"},
    "store": {"config"},
    "listener": {"store", "connectors", "config", "telemetry"},
    "responder": {"store", "connectors", "config", "telemetry"},
    "web": {"store", "listener", "responder", "config", "telemetry"},
    "training": {"listener", "store", "config"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return {name for name in names if name.split(".")[0] in OURS}


def imported_packages(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


def is_emulator(path: Path) -> bool:
    relative = path.relative_to(ROOT).parts
    return relative[:2] == ("connectors", "emulator") or path.stem.startswith("emulator")


def modules_of(package: str) -> list[Path]:
    return sorted(path for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts)


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_each_package_imports_only_what_the_flow_allows(package):
    wrong = []
    for path in modules_of(package):
        allowed = {package} | (set() if is_emulator(path) else MAY_IMPORT[package])
        for name in sorted(imported_packages(path) - allowed):
            wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_the_emulator_imports_nothing_of_ours_but_itself():
    wrong = [f"{path.relative_to(ROOT)} imports {name}"
             for path in modules_of("connectors") if is_emulator(path)
             for name in imported_modules(path)
             if not any(part.startswith("emulator") for part in name.split("."))]
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_a_forbidden_import(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("from web.api import api\nimport store.models\nimport json\n")
    assert imported_packages(planted) == {"web", "store"}
    assert imported_modules(planted) == {"web.api", "store.models"}
