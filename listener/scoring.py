"""Score a post: sentiment, whether a person should answer, how urgent it
is, its priority and topic; every number comes with the reasons that moved it.

Whether a person should answer is decided by rules where they are sure (a
complaint, a question or request to us, a keyword class, spam, our own
posts, praise by the config, an answer to our reply on an open ticket) and
by the trained needs-a-person model (`needs_model.py`) for every other post.

What the text says is read once (`_read`); what the post's author, rating
and history add is decided per post (`_decide`). Nothing here raises on odd
text: empty, huge, binary or emoji-only posts get a valid score."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from config.settings import ScoringSettings
from listener import lexicons
from listener.care_rules import NEGATIVE_EMOJI, POSITIVE_EMOJI, RuleHit, rule_hits
from listener.courtesy import without_closing_courtesy
from listener.keywords import SENSITIVE, KeywordFinder, KeywordHit
from listener.needs_model import NEEDS_A_PERSON, NEEDS_A_PERSON_TO_US
from listener.phrases import PhraseIndex, words_of
from listener.sentiment_model import SHIPPED_MODEL, ModelFileError, SentimentModel, load_model
from listener.topics import TopicChoice, TopicChooser

log = logging.getLogger(__name__)

# Longer texts are scored on their start: what a customer leads with is what
# matters, and the cost stays bounded.
MAX_SCORED_CHARS = 5000
# Ratings at or below this are negative, at or above the other positive.
NEGATIVE_RATING, POSITIVE_RATING = 2, 4
RATED_POLARITY = 0.5
# The care scorer reads a post reporting a harm (a safety keyword class) as
# at least this negative, whatever its words: "your heater burnt my hand".
HARM_POLARITY = -0.5

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]+")
_LINK = re.compile(r"https?://\S+|www\.\S+", re.I)
_HANDLE = re.compile(r"@\w+")
_LETTER = re.compile(r"[^\W_]")
# A letter or digit, or an emoji that says how someone feels ("@acme 😡😡").
_READABLE = re.compile(r"[^\W_]|[" + "".join(sorted(NEGATIVE_EMOJI | POSITIVE_EMOJI)) + "]")
# How strongly a post of emoji alone reads as they do.
EMOJI_ALONE_POLARITY = 0.6
_HASHTAG = re.compile(r"(?<!\w)#(?!\d+\b)\w+")
# A sentence that opens with a question word ("can't" opens none).
_QUESTION = re.compile(r"\?|(?:^|[.!\n]\s*|^(?:@\w+[\s,:]+)+)(?:how|why|when|where|what|who|which|can|could|"
                       r"is|are|do|does|did|will|would|should|has|have|any)\b(?!['’]t)", re.I)
_TO_US = re.compile(r"\b(?:you|your|yours|you're|youre|u|ur|y'all|yall)\b|^\s*@\w+", re.I)
_TO_THE_CROWD = re.compile(r"\b(?:anyone|anybody|everyone|everybody|who else)\b", re.I)
_LINKS_OF_SPAM, _HASHTAGS_OF_SPAM = 3, 6


@dataclass(frozen=True)
class Score:
    sentiment: str
    polarity: float
    urgency: float
    needs_response: bool
    priority: str | None
    topic: str | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ScoringContext:
    """What the store knows about a post besides its text: whether others
    can see it, the customer's tier and recent history, whether the brand
    wrote it, whether the platform or a community's moderators did,
    whether it answers our reply on a ticket still open, and its language."""

    is_public: bool = True
    tier: str = "standard"
    recent_complaints: int = 0
    breached_recently: bool = False
    by_brand: bool = False
    from_platform: bool = False
    answers_us: bool = False
    # The language the platform says the post is in (ISO 639-1), if it says.
    language: str | None = None


DEFAULT_CONTEXT = ScoringContext()


@dataclass(frozen=True)
class Reading:
    """What the text alone says."""

    polarity: float
    strength: float
    reasons: tuple[str, ...]
    rules: tuple[RuleHit, ...] = ()
    keywords: tuple[KeywordHit, ...] = ()
    topic: TopicChoice = TopicChoice(None)
    question: bool = False
    to_the_crowd: bool = False
    addressed: bool = False
    spam: str | None = None
    unreadable: str | None = None
    # P(needs a person) by the model, for a post no rule decides.
    needs_person: float | None = None

    @property
    def complaint_rule(self) -> bool:
        return _complains(self.rules)

    @property
    def request(self) -> bool:
        return any(r.request for r in self.rules)


class Scorer:
    def __init__(self, settings: ScoringSettings, *, model: SentimentModel | None = None,
                 model_path: str | Path | None = None, needs_threshold: float = NEEDS_A_PERSON_TO_US):
        """`model_path` is where a retrained model may be (see
        `sentiment_model.trained_model_path`); scoring.model_path, when set,
        is used otherwise; failing both, the shipped model. A post put to
        the brand that the needs-a-person model decides needs one from
        `needs_threshold` up (listener.needs_model)."""
        self.settings = settings
        self.needs_threshold = needs_threshold
        self.negative_below, self.positive_above = settings.sentiment_thresholds
        self.model = model
        if settings.scorer == "care" and model is None:
            self.model = _load_model(model_path or settings.model_path)
        self._keywords = KeywordFinder(settings.keywords)
        self._topics = TopicChooser(settings.taxonomy, self.model.topics if self.model else None)
        self._spam = PhraseIndex({"spam": settings.spam})

    def score(self, text: str, *, followers: int = 0, rating: int | None = None,
              context: ScoringContext | None = None) -> Score:
        return self.decide(self._read(_clean(text)), followers=followers, rating=rating, context=context)

    def score_many(self, texts: Sequence[str], *, followers: Sequence[int] | None = None,
                   ratings: Sequence[int | None] | None = None,
                   contexts: Sequence[ScoringContext | None] | None = None) -> list[Score]:
        """Score a batch; a text that comes more than once (a retweet, a
        spam wave) is read once."""
        return [self.decide(reading, followers=followers[n] if followers else 0,
                            rating=ratings[n] if ratings else None, context=contexts[n] if contexts else None)
                for n, reading in enumerate(self.read_many(texts))]

    def read_many(self, texts: Sequence[str]) -> list[Reading]:
        """What each text alone says, for `decide` to score once its
        context is known; a text that comes more than once is read once.
        Intake reads a page's texts together, before the page's database
        work: read one at a time between each post's, the texts took a
        tenth to a quarter longer to read (docs/performance.md)."""
        readings: dict[str, Reading] = {}
        read = []
        for raw in texts:
            text = _clean(raw)
            reading = readings.get(text)
            if reading is None:
                reading = readings[text] = self._read(text)
            read.append(reading)
        return read

    def decide(self, reading: Reading, *, followers: int = 0, rating: int | None = None,
               context: ScoringContext | None = None) -> Score:
        """The score of a text read by `read_many`, given its author's
        followers, its rating and its context."""
        return self._decide(reading, followers, rating, context or DEFAULT_CONTEXT)

    def _read(self, text: str) -> Reading:
        unreadable = _unreadable(text)
        if unreadable:
            return Reading(0.0, 0.0, (), unreadable=unreadable)
        care = self.settings.scorer == "care"
        rules = tuple(rule_hits(text)) if care else ()
        lexicon = lexicons.vader(text) if self.settings.scorer != "textblob" else None
        polarity, strength, reasons = self._sentiment(text, lexicon, _complains(rules))
        words = words_of(text)
        keywords = self._keywords.find(text, words)
        if care:
            polarity = _apply_rules(polarity, rules)
            reasons += tuple(_rule_reason(r) for r in rules)
            if _emoji_alone(text):
                polarity = _emoji_polarity(rules)
                reasons += ("emoji alone",)
            if any(k.kind == "safety" for k in keywords):
                polarity = min(polarity, HARM_POLARITY)
            strength = max(strength, -polarity)
        complaint = polarity < self.negative_below or _complains(rules)
        reading = Reading(round(polarity, 3), strength, reasons, rules, keywords,
                           self._topics.choose(text, complaint), bool(_QUESTION.search(text)),
                           bool(_TO_THE_CROWD.search(text)), bool(_TO_US.search(text)),
                           self._spam_in(text, words, rules))
        needs = self.model.needs_response if care else None
        if needs is not None and self._for_the_model(reading):
            return replace(reading, needs_person=needs.probability(text, lexicon))
        return reading

    def _for_the_model(self, reading: Reading) -> bool:
        """Whether no rule decides if the post needs a person: it is not
        spam, complains of nothing, names no keyword class (but for one of
        a customer who needs particular care, which says how to answer, not
        whether), asks us nothing and is no praise."""
        return (not reading.spam and not _deciding(reading.keywords) and not reading.complaint_rule
                and not reading.request
                and self.negative_below <= reading.polarity <= self.positive_above
                and not (reading.question and self._to_us(reading)))

    def _sentiment(self, text: str, lexicon: lexicons.LexiconScore | None,
                   complaint: bool) -> tuple[float, float, tuple[str, ...]]:
        """(polarity, strength of negative sentiment, reasons). The care
        model's polarity is the probability of the likelier of negative and
        positive, signed: thresholds on it are thresholds on a probability.
        Beside a complaint found by a rule, a post the model reads as
        neutral is read from its negative side.
        `lexicon`: VADER's reading of the text (None for TextBlob);
        `complaint`: a care rule found a complaint in the text."""
        if lexicon is None:
            polarity = lexicons.textblob(text).polarity
            return polarity, max(0.0, -polarity), (f"textblob:polarity {polarity:+.2f}",)
        if self.settings.scorer == "vader":
            return lexicon.polarity, max(0.0, -lexicon.polarity), (f"vader:compound {lexicon.polarity:+.2f}",)
        (negative, neutral, positive), lexicon, without = self._model_reading(text, lexicon, complaint)
        if negative >= neutral and negative >= positive:
            reasons = (f"model:negative {negative:.2f}{without}",)
        elif positive > neutral:
            reasons = (f"model:positive {positive:.2f}{without}",)
        else:
            reasons = (f"model:neutral {neutral:.2f}{without}",)
        if abs(lexicon.polarity) >= 0.05:
            reasons += (f"vader:compound {lexicon.polarity:+.2f}",)
        if complaint and positive <= neutral:
            return -negative, negative, reasons
        return (positive if positive > negative else -negative), negative, reasons

    def _model_reading(self, text: str, lexicon: lexicons.LexiconScore,
                       complaint: bool) -> tuple[tuple[float, float, float], lexicons.LexiconScore, str]:
        """The model's probabilities, the lexicon's score they used, and
        what was set aside to read them. A post read as praise is read again
        without its closing courtesy formula ("...arrived cracked. Thanks"),
        and that reading is taken when it is negative, or not positive beside
        a complaint."""
        read = self.model.probabilities(text, lexicon)
        courtesy = without_closing_courtesy(text) if read[2] > max(read[0], read[1]) else None
        if courtesy:
            before, formula = courtesy
            before_lexicon = lexicons.vader(before)
            negative, neutral, positive = read_before = self.model.probabilities(before, before_lexicon)
            if negative >= max(neutral, positive) or (complaint and positive < max(negative, neutral)):
                return read_before, before_lexicon, f" without {formula!r}"
        return read, lexicon, ""

    def _spam_in(self, text: str, words: list[str], rules: tuple[RuleHit, ...]) -> str | None:
        found = self._spam.find_all(words)
        if found:
            return repr(found[0][1])
        if any(r.care for r in rules):
            return None
        if text.count("http") + text.count("www.") >= _LINKS_OF_SPAM and len(_LINK.findall(text)) >= _LINKS_OF_SPAM:
            return f"{_LINKS_OF_SPAM}+ links"
        if text.count("#") >= _HASHTAGS_OF_SPAM and len(_HASHTAG.findall(text)) >= _HASHTAGS_OF_SPAM:
            return f"{_HASHTAGS_OF_SPAM}+ hashtags"
        return None

    def _decide(self, reading: Reading, followers: int, rating: int | None, context: ScoringContext) -> Score:
        s = self.settings
        reasons = list(reading.reasons)
        polarity, strength = reading.polarity, reading.strength
        rating = _valid_rating(rating, reasons)
        if rating is not None and rating <= NEGATIVE_RATING:
            polarity = min(polarity, -RATED_POLARITY)
            strength = max(strength, RATED_POLARITY)
            reasons.append(f"rating:{rating} -> negative")
        elif rating is not None and rating >= POSITIVE_RATING:
            polarity = max(polarity, RATED_POLARITY)
            reasons.append(f"rating:{rating} -> positive")
        sentiment = ("negative" if polarity < self.negative_below
                     else "positive" if polarity > self.positive_above else "neutral")
        reasons.extend(k.reason for k in reading.keywords)

        why, base = self._why_answer(reading, sentiment, rating, context)
        if base is None:
            reasons.append(f"no response needed: {why}")
            return Score(sentiment, polarity, 0.0, False, None, reading.topic.topic,
                         tuple(reasons + _topic_reason(reading.topic)))
        reasons.append(f"{why} +{base:.2f}")
        urgency = base + sum(k.weight for k in reading.keywords)
        if sentiment == "negative" and s.urgency.negative:
            added = s.urgency.negative * min(1.0, strength)
            urgency += added
            reasons.append(f"negative:{strength:.2f} +{added:.2f}")
        urgency += sum(r.urgency for r in reading.rules)
        urgency += self._who_and_history(followers, context, reasons)
        urgency = round(min(1.0, urgency), 3)
        return Score(sentiment, polarity, urgency, True, self._priority(urgency), reading.topic.topic,
                     tuple(reasons + _topic_reason(reading.topic)))

    def _why_answer(self, reading: Reading, sentiment: str, rating: int | None,
                    context: ScoringContext) -> tuple[str, float | None]:
        """Why the post needs an answer and the urgency that starts from,
        or why not and None."""
        weights = self.settings.urgency
        if reading.unreadable and (rating is None or rating > NEGATIVE_RATING):
            return reading.unreadable, None
        if context.by_brand:
            return "our own post", None
        if context.from_platform and not reading.keywords:
            return "from the platform or moderators, and no keyword rule matched", None
        if reading.spam:
            return f"spam ({reading.spam})", None
        if self._unread_language(context.language):
            return f"in a language the scorer does not read ({context.language}): a person reads it", weights.question
        if sentiment == "negative" or reading.complaint_rule:
            return "complaint", weights.complaint
        if _deciding(reading.keywords):
            return "keyword", weights.question if sentiment == "positive" else weights.complaint
        if self.settings.respond_to_questions and (reading.request or (reading.question and self._to_us(reading))):
            return ("asks for help" if reading.request else "question"), weights.question
        if sentiment == "positive":
            if self.settings.respond_to_praise:
                return "praise", weights.praise
            return "praise", None
        if context.answers_us:
            return "answers our reply", weights.question
        if reading.needs_person is not None:
            if reading.needs_person >= (self.needs_threshold if reading.addressed else NEEDS_A_PERSON):
                return f"needs a person: model {reading.needs_person:.2f}", weights.question
            return f"no complaint, question or request; model {reading.needs_person:.2f}", None
        return "no complaint, question or request", None

    def _unread_language(self, language: str | None) -> bool:
        read = self.settings.languages_read
        return bool(read) and language is not None and language not in read

    @staticmethod
    def _to_us(reading: Reading) -> bool:
        """A question is taken as put to the brand unless it is put to the
        crowd ("anyone else seen this?") with nothing of ours in it."""
        if not reading.to_the_crowd:
            return True
        return bool(reading.topic.topic or reading.keywords or reading.request or reading.addressed)

    def _who_and_history(self, followers: int, context: ScoringContext, reasons: list[str]) -> float:
        s = self.settings
        added = 0.0
        followers = followers if isinstance(followers, int) and followers > 0 else 0
        if s.reach_followers > 0 and followers >= s.reach_followers and s.reach_weight:
            added += s.reach_weight
            reasons.append(f"followers:{_compact(followers)} +{s.reach_weight:.2f}")
        if context.is_public and s.urgency.public:
            added += s.urgency.public
            reasons.append(f"public +{s.urgency.public:.2f}")
        tier_weight = s.tier_weights.get(str(context.tier).lower(), 0.0)
        if tier_weight:
            added += tier_weight
            reasons.append(f"tier:{context.tier} +{tier_weight:.2f}")
        if context.recent_complaints > 0 and s.urgency.repeat_complaint:
            added += s.urgency.repeat_complaint
            noun = "complaint" if context.recent_complaints == 1 else "complaints"
            reasons.append(f"history:{context.recent_complaints} recent {noun} +{s.urgency.repeat_complaint:.2f}")
        if context.breached_recently and s.urgency.breached:
            added += s.urgency.breached
            reasons.append(f"history:breached ticket +{s.urgency.breached:.2f}")
        return added

    def _priority(self, urgency: float) -> str:
        thresholds = self.settings.priority_thresholds
        if urgency >= thresholds.urgent:
            return "urgent"
        if urgency >= thresholds.high:
            return "high"
        if urgency >= thresholds.normal:
            return "normal"
        return "low"


def _load_model(path: str | None) -> SentimentModel:
    """The model at `path` when there is one there (a retrained model),
    else the shipped one."""
    if path and Path(path).exists():
        try:
            return load_model(path)
        except ModelFileError as error:
            log.warning("%s; using the shipped sentiment model", error)
    return _shipped_model()


@cache
def _shipped_model() -> SentimentModel:
    """The model installed with the package, read once per process: it
    never changes while the process runs, and every scorer built after a
    settings change (and every web app) would otherwise unpack it again."""
    return load_model(SHIPPED_MODEL)


def _clean(text) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    elif not isinstance(text, str):
        text = str(text)
    text = text[:MAX_SCORED_CHARS].encode("utf-8", "ignore").decode("utf-8")
    return _CONTROL.sub(" ", text)


def _unreadable(text: str) -> str | None:
    """Why there is nothing to read in the text, if there is not."""
    if not _READABLE.search(text):
        return "no words to score"
    if "http" not in text and "www." not in text and "@" not in text:
        return None
    without_links = _LINK.sub(" ", text)
    if not _READABLE.search(without_links):
        return "only a link"
    if not _READABLE.search(_HANDLE.sub(" ", without_links)):
        return "only mentions"
    return None


def _emoji_alone(text: str) -> bool:
    """Whether the text says nothing but its emoji (besides mentions and
    links). A readable text all in ASCII has letters: most posts are
    answered without the two substitutions."""
    return not text.isascii() and not _LETTER.search(_HANDLE.sub(" ", _LINK.sub(" ", text)))


def _emoji_polarity(rules: Sequence[RuleHit]) -> float:
    """A post of emoji alone reads as its emoji do: the model, which reads
    words, has nothing to go on."""
    shift = sum(r.shift for r in rules)
    return 0.0 if not shift else EMOJI_ALONE_POLARITY if shift > 0 else -EMOJI_ALONE_POLARITY


def _valid_rating(rating, reasons: list[str]) -> int | None:
    if rating is None:
        return None
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        reasons.append(f"rating:{rating!r} ignored (not 1-5)")
        return None
    return rating


def _deciding(keywords: tuple[KeywordHit, ...]) -> bool:
    """Whether a keyword class decides the post needs a person: any but a
    sensitive one."""
    return any(k.kind != SENSITIVE for k in keywords)


def _apply_rules(polarity: float, rules: tuple[RuleHit, ...]) -> float:
    """Sarcasm turns praise around, and an idiom of praise a negative
    reading where no rule finds a complaint; then each rule moves the
    polarity."""
    if polarity > 0 and any(r.flips for r in rules):
        polarity = -polarity
    elif polarity < 0 and any(r.praises for r in rules) and not _complains(rules):
        polarity = -polarity
    return max(-1.0, min(1.0, polarity + sum(r.shift for r in rules)))


def _rule_reason(hit: RuleHit) -> str:
    reason = hit.reason
    if hit.shift:
        reason += f" {hit.shift:+.2f}"
    if hit.urgency:
        reason += f", urgency +{hit.urgency:.2f}"
    return reason


def _complains(rules: Sequence[RuleHit]) -> bool:
    return any(r.complaint and r.shift < 0 for r in rules)


def _topic_reason(choice: TopicChoice) -> list[str]:
    return [choice.reason] if choice.topic else []


def _compact(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}m".replace(".0m", "m")
    if n >= 1000:
        return f"{n // 1000}k"
    return str(n)
