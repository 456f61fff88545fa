"""CSV downloads, streamed: rows are written as they come, so a long export
holds one chunk of rows in memory, not the whole file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response, stream_with_context


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterable[str]:
    """The header line, then one line per row. Cells starting with = + - @
    are prefixed with a quote so that a spreadsheet does not run them as
    formulas (customer text is untrusted)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield _take(buffer)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
        yield _take(buffer)


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """Rows read from the database as they stream must take db_session()
    only once the stream runs (a generator function's body, not a generator
    expression's first `for`): the request's session is closed when the view
    returns, and one used after that opens a transaction nobody closes, which
    on SQLite keeps the write lock. The stream's own session is closed when
    the stream ends."""
    return Response(stream_with_context(csv_lines(header, rows)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
