"""`closeloop --help` and the help of each command load no settings model,
web framework or database library: they are imported by the commands that
use them."""

import subprocess
import sys

import pytest

HEAVY = ("pydantic", "flask", "sqlalchemy", "store", "web", "config.settings", "connectors", "apscheduler")


def modules_after(*args: str) -> list[str]:
    probe = ("import sys\nfrom closeloop.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("args", [["--help"], ["score", "--help"], ["run", "--help"], ["demo", "--help"]])
def test_help_imports_no_settings_web_or_database_code(args):
    assert modules_after(*args) == "[]"
