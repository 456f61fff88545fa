"""Where a batch's texts are read before it is placed: in the worker, in
its reading process (listener.reading_process), or shared between them.

Beside another batch of the worker, the reading process reads them all
while the worker places the other. A batch alone shares them: the reading
process gets most, the worker reads the rest meanwhile, then makes the
batch's lookups while the reading process reads on; the readings are
taken just before the posts are placed, or before the batch waits for
its turn when another batch of its platform holds it, so that the
reading process is not kept from the worker's other batches meanwhile
(docs/performance.md, "A batch alone read on two cores")."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from connectors.base import InboundPost
from listener.reading_process import ReadingProcess
from listener.scoring import Reading, Scorer

# The share of a batch alone's texts the reading process reads.
SHARE_SENT = 0.6


class BatchReadings:
    """A batch's readings by text: read already, or on their way from the
    reading process (`coming`, the readings of `texts_coming`)."""

    def __init__(self, scorer: Scorer, read: dict[str, Reading], texts_coming: Sequence[str] = (),
                 coming: Callable[[], list[Reading] | None] | None = None):
        self._scorer = scorer
        self._read = read
        self._texts_coming = texts_coming
        self._coming = coming

    def take_coming(self) -> None:
        """Wait for the readings on their way, which frees the reading
        process for the worker's other batches."""
        if self._coming is not None:
            readings, self._coming = self._coming(), None
            if readings is not None:
                self._read.update(zip(self._texts_coming, readings))

    def of(self, posts: list[InboundPost]) -> list[Reading]:
        """The posts' readings; those not read yet are read now, where a
        text that cannot be read raises."""
        self.take_coming()
        unread = list(dict.fromkeys(post.text for post in posts if post.text not in self._read))
        if unread:
            self._read.update(zip(unread, self._scorer.read_many(unread)))
        return [self._read[post.text] for post in posts]


@contextmanager
def texts_read(scorer: Scorer, reader: ReadingProcess | None, posts: list[InboundPost]) -> Iterator[BatchReadings]:
    """The readings of the texts of the posts not by the brand, for the
    block that places them; a text that comes twice is read once
    (Scorer.read_many). When one cannot be read, the texts are left unread,
    to be read as their posts are placed, where a text that cannot be read
    fails its post alone."""
    texts = list(dict.fromkeys(post.text for post in posts if not post.by_brand))
    if reader is not None and reader.beside_another():
        yield BatchReadings(scorer, _read_there(scorer, reader, texts))
        return
    if reader is None or not reader.can_read() or not texts:
        yield BatchReadings(scorer, _read_here(scorer, texts))
        return
    sent = texts[:round(len(texts) * SHARE_SENT)]
    with reader.reading(sent) as coming:
        yield BatchReadings(scorer, _read_here(scorer, texts[len(sent):]), sent, coming)


def _read_there(scorer: Scorer, reader: ReadingProcess, texts: list[str]) -> dict[str, Reading]:
    readings = reader.read_many(texts)
    return dict(zip(texts, readings)) if readings is not None else _read_here(scorer, texts)


def _read_here(scorer: Scorer, texts: list[str]) -> dict[str, Reading]:
    try:
        return dict(zip(texts, scorer.read_many(texts)))
    except Exception:
        return {}
