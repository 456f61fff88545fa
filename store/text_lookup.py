"""What a text search asks the trigram indexes for. An index reads every
trigram of the text, and a word most rows hold (every handle holding
"customer", every post "order") makes it read most of the index: 60 ms for
`customer_4242` at a million identities. The newest posts and identities
tell which words are that common; the index is asked only for the part
of the text around the others, and the whole text is checked on the rows
it finds, so the same rows are found. They also tell how common the whole
text is in the newest posts (the ticket lists probe such text first)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Boolean, ColumnElement, and_, func, literal, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from store.models import Identity, Mention

# How many of the newest posts, and of the newest identities, are read to
# judge how common each word of a text is.
SAMPLE = 1000
# A word held by this many of them is left out of what the index is asked.
FREQUENT = 100
# Letters and digits, as the trigram index reads words; three make a trigram.
WORD = re.compile(r"[^\W_]{3,}")


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escaped with a backslash) for lowercased text containing `text`."""
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class Holds(FunctionElement):
    """The first text holds the second, written so that no trigram index is
    read for it (`strpos` on PostgreSQL, `instr` on SQLite)."""

    type = Boolean()
    inherit_cache = True


@compiles(Holds)
def _holds_with_instr(element, compiler, **kw):
    haystack, needle = element.clauses
    return f"instr({compiler.process(haystack, **kw)}, {compiler.process(needle, **kw)}) > 0"


@compiles(Holds, "postgresql")
def _holds_with_strpos(element, compiler, **kw):
    haystack, needle = element.clauses
    return f"strpos({compiler.process(haystack, **kw)}, {compiler.process(needle, **kw)}) > 0"


def name_text(text: str) -> str:
    """What a handle or name is searched for: "@maria" finds the handle maria."""
    return text.removeprefix("@")


@dataclass(frozen=True)
class Sample:
    """How many of the SAMPLE newest posts hold the whole text (`posts`),
    and how many of them, and of the SAMPLE newest identities (handle or
    name), hold each of its words."""

    posts: int
    post_words: dict[str, int]
    name_words: dict[str, int]


def sample(session: Session, text: str, *, whole: bool) -> Sample:
    """The newest rows read for `text`, in one statement: the words of a
    text of two words or more, and the whole text in the posts when `whole`
    is asked for (nothing is read otherwise)."""
    words = sorted(set(WORD.findall(text.lower())))
    words = words if len(words) > 1 else []
    if not words and not whole:
        return Sample(0, {}, {})
    posts = select(Mention.text).order_by(Mention.id.desc()).limit(SAMPLE).subquery()
    names = select(Identity.handle, Identity.name).order_by(Identity.id.desc()).limit(SAMPLE).subquery()
    counted_posts = [_held(posts.c.text, part, f"post_{n}") for n, part in enumerate(([text] if whole else []) + words)]
    counted_names = [_held((names.c.handle, names.c.name), word, f"name_{n}") for n, word in enumerate(words)]
    in_posts = select(*counted_posts).select_from(posts).subquery()
    statement = select(in_posts)
    if words:
        in_names = select(*counted_names).select_from(names).subquery()
        statement = select(in_posts, in_names).select_from(in_posts).join(in_names, true())
    counts = list(session.execute(statement).one())
    whole_count = counts.pop(0) if whole else 0
    return Sample(whole_count, dict(zip(words, counts[:len(words)])), dict(zip(words, counts[len(words):])))


def _held(columns, text: str, name: str):
    """How many rows hold `text` in one of `columns` (any case), labelled `name`."""
    columns = columns if isinstance(columns, tuple) else (columns,)
    return func.count().filter(or_(*(func.lower(column).like(contains_pattern(text), escape="\\")
                                     for column in columns))).label(name)


def lookups(text: str, sampled: Sample) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Which posts, and which identities (by handle or name), hold `text`
    (any case), as the trigram indexes are best asked: for the part of it
    around its words few of the newest rows hold (`sampled`)."""
    in_post = holds(Mention.text, text, rare_part(text, sampled.post_words))
    name_part = rare_part(name_text(text), sampled.name_words)
    in_name = or_(holds(Identity.handle, name_text(text), name_part), holds(Identity.name, name_text(text), name_part))
    return in_post, in_name


def holds(column, text: str, part: str) -> ColumnElement[bool]:
    """`column` holds `text` (any case), asked of an index as holding `part`
    of it (lowercased), which it must hold to hold the whole."""
    lowered = func.lower(column)
    if part == text.lower():
        return lowered.like(contains_pattern(text), escape="\\")
    return and_(lowered.like(contains_pattern(part), escape="\\"), Holds(lowered, literal(text.lower())))


def rare_part(text: str, found: dict[str, int]) -> str:
    """The part of lowercased `text` from the first to the last of its words
    that fewer than FREQUENT sampled rows hold (`found`, by word), with the
    character either side, from which the index reads where a word starts
    or ends; all of it when every word is that rare, or none is."""
    lowered = text.lower()
    words = list(WORD.finditer(lowered))
    rare = [word for word in words if found.get(word.group(), 0) < FREQUENT]
    if not rare or len(rare) == len(words):
        return lowered
    return lowered[max(rare[0].start() - 1, 0):rare[-1].end() + 1]
