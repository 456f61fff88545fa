"""`closeloop score` (score a file of posts, one JSON line out per row) and
`closeloop retrain` (refit the sentiment model with the team's corrections)."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import click

from closeloop.cli_settings import settings_of

BATCH = 1000
FORMATS = ("auto", "csv", "jsonl", "text")


class MissingColumn(click.ClickException):
    exit_code = 2


@click.command()
@click.argument("file", type=click.File("r", encoding="utf-8", errors="replace", lazy=False))
@click.option("--text-column", default="text", show_default=True, help="Column (CSV) or key (JSONL) of the text.")
@click.option("--rating-column", default=None, help="Column or key of a 1-5 star rating, if any.")
@click.option("--format", "file_format", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="auto: by the file's name, else by its first line.")
@click.pass_context
def score(ctx: click.Context, file: TextIO, text_column: str, rating_column: str | None, file_format: str) -> None:
    """Score each post in FILE (CSV, JSONL or one text a line; - for standard
    input) and write one JSON object a row to standard output."""
    from listener.scoring import Scorer
    from listener.sentiment_model import trained_model_path

    settings = settings_of(ctx)
    scorer = Scorer(settings.scoring, model_path=trained_model_path(settings))
    rows = read_rows(file, file_format, text_column, rating_column)
    started, done = time.monotonic(), 0
    for batch in _batches(rows, BATCH):
        texts = [text for text, _ in batch]
        for result in scorer.score_many(texts, ratings=[rating for _, rating in batch]):
            click.echo(json.dumps({
                "sentiment": result.sentiment, "polarity": result.polarity,
                "needs_response": result.needs_response, "urgency": result.urgency,
                "priority": result.priority, "topic": result.topic, "reasons": list(result.reasons),
            }, ensure_ascii=False))
        done += len(batch)
        if done >= BATCH:
            rate = done / max(time.monotonic() - started, 1e-9)
            click.echo(f"scored {done:,} rows ({rate:,.0f}/s)", err=True)


def read_rows(file: TextIO, file_format: str, text_column: str,
              rating_column: str | None) -> Iterator[tuple[str, int | None]]:
    """(text, rating) per row. A missing column is reported before the
    first row is given out, so nothing is written for a file that lacks it."""
    first = file.readline()
    kind = file_format if file_format != "auto" else _guess_format(getattr(file, "name", ""), first, text_column)
    lines = _chain(first, file)
    if kind == "text":
        return ((line.rstrip("\r\n"), None) for line in lines if line.strip())
    if kind == "csv":
        reader = csv.DictReader(lines)
        _check_columns(reader.fieldnames or [], text_column, rating_column)
        return ((row.get(text_column) or "", _rating(row.get(rating_column))) for row in reader)
    return _jsonl_rows(lines, text_column, rating_column)


def _guess_format(name: str, first: str, text_column: str) -> str:
    suffix = Path(name).suffix.lower() if isinstance(name, str) and not name.startswith("<") else ""
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".txt":
        return "text"
    if first.lstrip().startswith("{"):
        return "jsonl"
    header = next(csv.reader([first]), [])
    return "csv" if len(header) > 1 or text_column in header else "text"


def _jsonl_rows(lines: Iterator[str], text_column: str,
                rating_column: str | None) -> Iterator[tuple[str, int | None]]:
    records = ((n, line) for n, line in enumerate(lines, start=1) if line.strip())
    first = next(records, None)
    if first is None:
        return iter(())
    parsed = _json_record(*first)
    _check_columns(list(parsed), text_column, rating_column)

    def generate() -> Iterator[tuple[str, int | None]]:
        yield _json_text(parsed, text_column), _rating(parsed.get(rating_column) if rating_column else None)
        for n, line in records:
            record = _json_record(n, line)
            if text_column not in record:
                raise MissingColumn(f"line {n}: key {text_column!r} not found; keys: {', '.join(record) or 'none'}")
            yield _json_text(record, text_column), _rating(record.get(rating_column) if rating_column else None)

    return generate()


def _json_record(n: int, line: str) -> dict:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise click.ClickException(f"line {n} is not JSON: {error}") from None
    if not isinstance(record, dict):
        raise click.ClickException(f"line {n} is not a JSON object")
    return record


def _json_text(record: dict, key: str) -> str:
    value = record.get(key)
    return value if isinstance(value, str) else "" if value is None else str(value)


def _check_columns(found: list[str], text_column: str, rating_column: str | None) -> None:
    for wanted in (text_column, rating_column):
        if wanted is not None and wanted not in found:
            raise MissingColumn(f"column {wanted!r} not found; columns: {', '.join(found) or 'none'}")


def _rating(value) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _chain(first: str, rest: TextIO) -> Iterator[str]:
    if first:
        yield first
    yield from rest


def _batches(rows: Iterator, size: int) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@click.command()
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the fit.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The shared labelled data (default: ../shared/data beside the code).")
@click.pass_context
def retrain(ctx: click.Context, seed: int, data_dir: Path | None) -> None:
    """Refit the sentiment model from the labelled data and the team's
    corrections; keep it only if it does no worse on the held-out posts.
    Needs the train extra: pip install 'closeloop[train]'."""
    from training import missing_libraries

    if problem := missing_libraries():
        raise click.ClickException(problem)
    from listener.sentiment_model import trained_model_path
    from store.db import Database
    from training.examples import DEFAULT_DATA_DIR, DataMissing
    from training.retrain import retrain_model

    settings = settings_of(ctx)
    target = trained_model_path(settings)
    if target is None:
        raise click.ClickException("set scoring.model_path: with a database server there is no data folder "
                                   "to keep the retrained model in")
    db = Database(settings.database.url)
    try:
        db.migrate()
        with db.transaction() as session:
            outcome = retrain_model(session, settings.scoring, target, data_dir or DEFAULT_DATA_DIR, seed)
    except DataMissing as error:
        raise click.ClickException(f"{error}; pass --data-dir") from None
    finally:
        db.dispose()
    for line in outcome.report_lines():
        click.echo(line)
