"""Fitting the scorer's sentiment, topic and needs-a-person models:
`closeloop retrain` and `python -m training.build_model`. Scoring never imports this package;
its libraries (scikit-learn, numpy, scipy) come with the `train` extra."""

from __future__ import annotations

from importlib.util import find_spec

LIBRARIES = {"scikit-learn": "sklearn", "numpy": "numpy", "scipy": "scipy"}


def missing_libraries() -> str | None:
    """What to install before training, or None when nothing is missing."""
    missing = [name for name, module in LIBRARIES.items() if find_spec(module) is None]
    if not missing:
        return None
    return f"training needs {', '.join(missing)}: pip install 'closeloop[train]'"
