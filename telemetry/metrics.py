"""The counts a process keeps itself (polls, web requests). What the
database already knows (posts, tickets, replies, the outbox) is read from
it at each scrape instead, so it is the same whichever process answers.

Under `closeloop serve` every process writes its counts to files in
PROMETHEUS_MULTIPROC_DIR, which must be set before prometheus_client is
first imported: so this module is imported only once a process knows."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

POLLS = Counter("closeloop_polls", "Scheduled polls of a source, by outcome (ok, backing_off, broken, ...).",
                ["source", "outcome"])
POLL_SECONDS = Histogram("closeloop_poll_seconds", "Time one scheduled poll of a source took.", ["source"])
REQUEST_SECONDS = Histogram("closeloop_request_seconds", "Time the web app took to answer, by endpoint.",
                            ["endpoint", "method"])
