"""The processes a benchmarked process started (its process that reads
posts' texts, Python's resource tracker), from /proc (Linux)."""

from __future__ import annotations

from pathlib import Path


def children_of(pid: int | str) -> list[int]:
    """The process's children; a thread that ends while they are read
    started none."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children += map(int, (task / "children").read_text().split())
        except FileNotFoundError:
            continue
    return children
