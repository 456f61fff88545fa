"""`closeloop score` (score a file of posts, one JSON line out per row) and
`closeloop retrain` (refit the sentiment model with the team's corrections).
What only a command needs is imported inside it, so that `closeloop --help`
starts quickly."""

from __future__ import annotations

import codecs
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

import click

from closeloop.cli_settings import settings_of

BATCH = 1000
FORMATS = ("auto", "csv", "jsonl", "text")
SNIFF_BYTES = 8192


class MissingColumn(click.ClickException):
    exit_code = 2


@click.command()
@click.argument("file", type=click.File("rb", lazy=False))
@click.option("--text-column", default="text", show_default=True, help="Column (CSV) or key (JSONL) of the text.")
@click.option("--rating-column", default=None, help="Column or key of a 1-5 star rating, if any.")
@click.option("--format", "file_format", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="auto: by the file's name, else by its first line.")
@click.pass_context
def score(ctx: click.Context, file: BinaryIO, text_column: str, rating_column: str | None, file_format: str) -> None:
    """Score each post in FILE (CSV, JSONL or one text a line, UTF-8; - for
    standard input) and write one JSON object a row to standard output."""
    import json

    from listener.scoring import Scorer
    from listener.sentiment_model import trained_model_path

    settings = settings_of(ctx)
    text = open_text(file)
    scorer = Scorer(settings.scoring, model_path=trained_model_path(settings))
    rows = read_rows(text, file_format, text_column, rating_column)
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
    if not done:
        raise click.ClickException(f"{_display_name(file)} holds no posts, only a header or blank lines: "
                                   "nothing to score")


def open_text(file: BinaryIO) -> TextIO:
    """The file as UTF-8 text, a byte-order mark dropped. An empty file and
    one that is not text are refused before anything is scored, without
    echoing its bytes."""
    name = _display_name(file)
    head = file.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(file, "peek") else b""
    if not head:
        head = file.read(SNIFF_BYTES)
        file = io.BufferedReader(_Prepend(head, file))
    if not head.removeprefix(codecs.BOM_UTF8).strip():
        raise click.ClickException(f"{name} is empty: nothing to score")
    if b"\0" in head or not _is_utf8_start(head):
        raise click.ClickException(f"{name} is not UTF-8 text; give a CSV, JSONL or text file")
    return io.TextIOWrapper(file, encoding="utf-8-sig", errors="replace", newline="")


def _is_utf8_start(head: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _display_name(file: BinaryIO) -> str:
    name = getattr(file, "name", "")
    return "standard input" if not isinstance(name, str) or name.startswith("<") else repr(name)


class _Prepend(io.RawIOBase):
    """Bytes already read, then the rest of the stream: for a stream that
    cannot be peeked."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._head[:len(buffer)] or self._rest.read(len(buffer))
        self._head = self._head[len(chunk):] if self._head else b""
        buffer[:len(chunk)] = chunk
        return len(chunk)


def read_rows(file: TextIO, file_format: str, text_column: str,
              rating_column: str | None) -> Iterator[tuple[str, int | None]]:
    """(text, rating) per row. A missing column is reported before the
    first row is given out, so nothing is written for a file that lacks it.
    A guessed format is said on standard error."""
    import csv

    first = file.readline()
    kind = file_format
    if file_format == "auto":
        kind, why = _guess_format(getattr(file, "name", ""), first, text_column)
        click.echo(f"reading {kind}: {why}", err=True)
    lines = _chain(first, file)
    if kind == "text":
        return ((line.rstrip("\r\n"), None) for line in lines if line.strip())
    if kind == "csv":
        reader = csv.DictReader(lines)
        _check_columns(reader.fieldnames or [], text_column, rating_column)
        return ((row.get(text_column) or "", _rating(row.get(rating_column))) for row in reader)
    return _jsonl_rows(lines, text_column, rating_column)


def _guess_format(name: str, first: str, text_column: str) -> tuple[str, str]:
    """The format and why: by the file's name, else by the first line. A
    line is a CSV header only when it names the text column, beside other
    columns or alone, so one text a line with a comma in it is still text."""
    import csv

    suffix = Path(name).suffix.lower() if isinstance(name, str) and not name.startswith("<") else ""
    by_name = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".txt": "text"}
    if suffix in by_name:
        return by_name[suffix], f"the file's name ends in {suffix}"
    if first.lstrip().startswith("{"):
        return "jsonl", "the first line is a JSON object"
    header = [field.strip() for field in next(csv.reader([first]), [])]
    if text_column in header:
        return "csv", f"the first line is a header naming {text_column!r}"
    return "text", f"one text a line (the first line is not a CSV header naming {text_column!r})"


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
    import json

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


def _rating(value):
    """A whole number as an int; an empty cell as no rating; anything else
    as it came, which the scorer names in its reasons as ignored."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value.strip() if isinstance(value, str) else value
    return int(number) if number.is_integer() else value


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
    """Refit the sentiment, topic and needs-a-person models from the
    labelled data and the team's corrections; keep each only if it does no
    worse on the held-out posts.
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
