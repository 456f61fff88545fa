import pytest

from config import load_settings
from listener.scoring import MAX_SCORED_CHARS, Score, Scorer, ScoringContext


def scorer_with(**scoring) -> Scorer:
    return Scorer(load_settings(env={}, overrides={"scoring": scoring}).scoring)


@pytest.fixture(scope="module")
def scorer():
    return Scorer(load_settings(env={}).scoring)


def test_a_clear_complaint_needs_a_response(scorer):
    score = scorer.score("My parcel never arrived and your support is terrible.")
    assert score.sentiment == "negative"
    assert score.needs_response
    assert score.priority in ("normal", "high", "urgent")
    assert any(r.startswith("model:negative") for r in score.reasons)
    assert "complaint +0.30" in score.reasons


def test_polarity_and_urgency_stay_in_their_ranges(scorer):
    for text in ("Worst service ever, still waiting, cancelled again, where is my refund?!", "Brilliant, thank you!"):
        score = scorer.score(text, followers=10**7, context=ScoringContext(tier="vip", recent_complaints=3,
                                                                            breached_recently=True))
        assert -1 <= score.polarity <= 1
        assert 0 <= score.urgency <= 1


def test_praise_needs_no_response_by_default(scorer):
    score = scorer.score("Thanks, the new app is great and delivery was fast!")
    assert score.sentiment == "positive"
    assert not score.needs_response
    assert score.priority is None
    assert "no response needed: praise" in score.reasons


def test_praise_can_be_configured_to_need_a_response():
    score = scorer_with(respond_to_praise=True).score("Thanks, the new app is great!")
    assert score.needs_response
    assert score.priority == "low"
    assert "praise +0.10" in score.reasons


def test_a_question_to_the_brand_needs_a_response(scorer):
    score = scorer.score("How do I change the address on my order?")
    assert score.needs_response
    assert "question +0.20" in score.reasons
    assert score.priority == "low"


@pytest.mark.parametrize("text, question", [
    ("@acme can you change my address", True),
    ("Can't wait! When does it ship", True),
    ("@acme can't believe how quick that was", False),
    ("Can't log in since this morning", False),
])
def test_a_sentence_opening_with_cant_is_no_question(scorer, text, question):
    assert ("question +0.20" in scorer.score(text).reasons) is question


def test_questions_can_be_left_to_the_team_by_config():
    assert not scorer_with(respond_to_questions=False).score("How do I change the address on my order?").needs_response


def test_a_request_for_help_needs_a_response_without_a_question_mark(scorer):
    score = scorer.score("Please help me change the delivery address.")
    assert score.needs_response
    assert "rule:asks for help" in score.reasons


def test_unrelated_chatter_needs_no_response(scorer):
    score = scorer.score("Going to the match tonight with my brother.")
    assert not score.needs_response
    assert any(r.startswith("no response needed: no complaint, question or request") for r in score.reasons)


def test_a_question_not_addressed_to_anyone_in_particular_needs_no_response(scorer):
    assert not scorer.score("Anyone watching the match tonight?").needs_response


@pytest.mark.parametrize("text, why", [
    ("Follow me for free followers!! click here", "spam ('free followers')"),
    ("Giveaway: win a phone, details on my page", "spam ('giveaway')"),
    ("Deals #a #b #c #d #e #f #g", "spam (6+ hashtags)"),
    ("see http://a.example http://b.example http://c.example", "spam (3+ links)"),
    ("@acme 🚀🚀 100x crypto gem, buy $MOON now https://t.co/x", "spam ('crypto gem')"),
    ("@acme earn $500 a day from home, DM me", "spam ('a day from home')"),
])
def test_spam_needs_no_response(scorer, text, why):
    score = scorer.score(text)
    assert not score.needs_response
    assert f"no response needed: {why}" in score.reasons


@pytest.mark.parametrize("text", ["@samsung the 100x zoom on my new phone is blurry",
                                  "@acme I work from home and my broadband keeps dropping every hour",
                                  "@bank can you share the presale code for the concert?"])
def test_care_traffic_near_spam_words_is_not_spam(scorer, text):
    score = scorer.score(text)
    assert score.needs_response and not any("spam" in r for r in score.reasons), score.reasons


@pytest.mark.parametrize("language, reads, needs_response", [
    ("es", ("en",), True), ("en", ("en",), False), (None, ("en",), False), ("es", ("en", "es"), False),
    ("es", (), False),
])
def test_a_post_in_a_language_the_scorer_does_not_read_needs_a_person(language, reads, needs_response):
    score = scorer_with(languages_read=list(reads)).score("Gracias, great service",
                                                         context=ScoringContext(language=language))
    assert score.needs_response is needs_response, score.reasons
    assert any("a language the scorer does not read" in r for r in score.reasons) is needs_response


def test_spam_in_another_language_stays_spam(scorer):
    assert not scorer.score("free followers click here", context=ScoringContext(language="es")).needs_response


def test_our_own_posts_need_no_response(scorer):
    score = scorer.score("So sorry about the delay, we have sent you a DM.", context=ScoringContext(by_brand=True))
    assert not score.needs_response
    assert "no response needed: our own post" in score.reasons


def test_spam_phrases_come_from_the_config():
    assert not scorer_with(spam=["crypto signals"]).score("Where is my refund? Crypto signals here").needs_response
    assert scorer_with(spam=["crypto signals"]).score("Follow me, where is my refund?").needs_response


def test_a_safety_keyword_makes_a_post_urgent_and_says_why(scorer):
    score = scorer.score("The charger I bought from you caught fire last night")
    assert score.priority == "urgent"
    assert "safety:fire ('caught fire') +1.00" in score.reasons


@pytest.mark.parametrize("text, reason", [
    ("I will take legal action if this is not fixed", "keyword:legal action (legal) +0.40"),
    ("Please close my account today, I am done", "keyword:close my account (churn) +0.30"),
    ("You charged twice for one order", "keyword:charged twice (money) +0.25"),
    ("Is the site down? There is an outage in my area", "keyword:outage (outage) +0.25"),
    ("Please delete my data, I am done with you", "keyword:delete my data (privacy) +0.40"),
    ("I want a refund for this", "keyword:refund (money) +0.25"),
])
def test_each_keyword_class_adds_its_weight_with_a_reason(scorer, text, reason):
    score = scorer.score(text)
    assert reason in score.reasons
    assert score.needs_response


def test_keywords_match_whole_words_only(scorer):
    score = scorer.score("Had a lovely campfire with the family")
    assert not any("safety" in r for r in score.reasons)


def test_a_keyword_stem_matches_the_words_it_starts():
    scorer = scorer_with(keywords={"money": {"weight": 0.25, "words": ["reimburse*"]}})
    assert "keyword:reimbursed (money) +0.25" in scorer.score("I was never reimbursed for the broken kettle").reasons


def test_a_keyword_needs_a_response_even_in_a_friendly_post(scorer):
    score = scorer.score("Thanks so much for the quick refund!")
    assert score.needs_response
    assert "keyword +0.20" in score.reasons


def test_a_topic_can_be_switched_off():
    assert scorer_with(topics={"delay": {"enabled": False}}).score("My flight was delayed again").topic != "delay"


def test_keyword_classes_come_from_the_config():
    scorer = scorer_with(keywords={"press": {"weight": 0.35, "words": ["journalist", "going to the papers"]}})
    score = scorer.score("I am a journalist and I am going to the papers about this")
    assert "keyword:journalist (press) +0.35" in score.reasons
    assert score.needs_response


@pytest.mark.parametrize("text, topic", [
    ("My flight was delayed by four hours", "delay"),
    ("You cancelled my booking without telling me", "cancellation"),
    ("The courier lost my parcel and the box was crushed", "lost_or_damaged"),
    ("I was charged twice, where is my refund?", "billing_or_refund"),
    ("I can't log in to my account, password reset fails", "booking_or_account"),
    ("The agent on the phone was rude and hung up on me", "staff_or_service"),
    ("The kettle stopped working after a week, poor quality", "product_defect"),
    ("My order has not arrived, tracking says out for delivery", "delivery"),
    ("Your website keeps crashing at checkout", "website_or_app"),
])
def test_it_names_the_topic_of_a_complaint(scorer, text, topic):
    score = scorer.score(text)
    assert score.topic == topic
    assert any(r.startswith(f"topic:{topic} (") for r in score.reasons)


def test_a_post_about_nothing_in_the_taxonomy_has_no_topic(scorer):
    assert scorer.score("This is just awful, honestly.").topic is None


def test_of_topics_found_equally_often_the_one_listed_first_wins():
    scorer = scorer_with(topics={"first": {"phrases": ["kettle"]}, "second": {"phrases": ["toaster", "oven"]}})
    assert scorer.score("The toaster and the kettle").topic == "first"
    assert scorer.score("The toaster, the oven and the kettle").topic == "second"


def test_the_taxonomy_comes_from_the_config():
    scorer = scorer_with(topics={"parking": {"phrases": ["car park", "parking"]}})
    score = scorer.score("The car park was closed again and there was no parking anywhere")
    assert score.topic == "parking"
    assert "topic:parking ('car park', 'parking')" in score.reasons


def test_a_large_audience_raises_urgency(scorer):
    text = "Still no refund after three weeks."
    small = scorer.score(text, followers=50)
    large = scorer.score(text, followers=250_000)
    assert large.urgency > small.urgency
    assert "followers:250k +0.10" in large.reasons


def test_a_public_post_is_more_urgent_than_a_private_message(scorer):
    text = "My order never arrived."
    public = scorer.score(text)
    private = scorer.score(text, context=ScoringContext(is_public=False))
    assert public.urgency == pytest.approx(private.urgency + 0.05)
    assert "public +0.05" in public.reasons and "public +0.05" not in private.reasons


def test_a_vip_customer_is_more_urgent_and_says_why(scorer):
    text = "My order never arrived."
    vip = scorer.score(text, context=ScoringContext(tier="vip"))
    assert vip.urgency == pytest.approx(scorer.score(text).urgency + 0.15)
    assert "tier:vip +0.15" in vip.reasons


def test_a_second_complaint_within_days_and_a_breached_ticket_raise_urgency(scorer):
    text = "My order never arrived."
    again = scorer.score(text, context=ScoringContext(recent_complaints=1))
    breached = scorer.score(text, context=ScoringContext(breached_recently=True))
    base = scorer.score(text).urgency
    assert again.urgency == pytest.approx(base + 0.1)
    assert "history:1 recent complaint +0.10" in again.reasons
    assert breached.urgency == pytest.approx(base + 0.15)
    assert "history:breached ticket +0.15" in breached.reasons


def test_context_does_not_make_a_post_need_a_response(scorer):
    score = scorer.score("Lovely weather today", followers=10**6,
                         context=ScoringContext(tier="vip", recent_complaints=2, breached_recently=True))
    assert not score.needs_response
    assert score.urgency == 0 and score.priority is None


@pytest.mark.parametrize("urgency, priority", [(0.95, "urgent"), (0.8, "urgent"), (0.79, "high"), (0.6, "high"),
                                               (0.59, "normal"), (0.3, "normal"), (0.29, "low"), (0.0, "low")])
def test_priority_follows_the_thresholds(scorer, urgency, priority):
    assert scorer._priority(urgency) == priority


def test_priority_thresholds_come_from_the_config():
    text = "My order never arrived."
    default = Scorer(load_settings(env={}).scoring).score(text)
    strict = scorer_with(priority_thresholds={"urgent": 0.99, "high": 0.98, "normal": 0.97}).score(text)
    assert default.priority == "normal"
    assert strict.priority == "low"


def test_a_low_star_rating_is_negative_whatever_the_words(scorer):
    score = scorer.score("Great, just great.", rating=1)
    assert score.sentiment == "negative"
    assert "rating:1 -> negative" in score.reasons
    assert score.needs_response


def test_a_high_star_rating_is_positive(scorer):
    score = scorer.score("It arrived on Tuesday.", rating=5)
    assert score.sentiment == "positive"
    assert "rating:5 -> positive" in score.reasons


def test_a_star_rating_without_words_still_counts(scorer):
    assert scorer.score("", rating=1).needs_response
    assert not scorer.score("", rating=5).needs_response


@pytest.mark.parametrize("rating", [0, 6, -1, "five", 2.5, True])
def test_a_rating_out_of_range_is_ignored_with_a_reason(scorer, rating):
    score = scorer.score("It arrived on Tuesday.", rating=rating)
    assert f"rating:{rating!r} ignored (not 1-5)" in score.reasons


BAD_INPUTS = {
    "empty": "",
    "blank": "   \n\t ",
    "none": None,
    "huge": "terrible service, where is my refund? " * 2700,
    "binary junk": "\x00\x01\x02\xff\ufffd\x7f" * 50,
    "bytes": b"\xff\xfe where is my refund \x00",
    "lone surrogate": "where is my refund \ud800 please",
    "mixed scripts": "Мой заказ не пришёл 我的订单 where is my order? طلبي",
    "only emoji": "😡😡😡🙄",
    "only a url": "https://t.co/abcdef",
    "only mentions": "@acme @support",
    "punctuation": "!!!???...",
    "a number": 12345,
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_gets_a_valid_score(scorer, name):
    score = scorer.score(BAD_INPUTS[name], followers=-5)
    assert isinstance(score, Score)
    assert score.sentiment in ("negative", "neutral", "positive")
    assert -1 <= score.polarity <= 1 and 0 <= score.urgency <= 1
    assert score.priority in (None, "urgent", "high", "normal", "low")
    assert score.reasons


@pytest.mark.parametrize("text, why", [("", "no words to score"), ("🍕🚗🍕", "no words to score"),
                                       ("\x00\x01", "no words to score"), ("https://t.co/abc", "only a link"),
                                       ("@acme @help", "only mentions")])
def test_text_without_words_needs_no_response_and_says_why(scorer, text, why):
    score = scorer.score(text)
    assert not score.needs_response
    assert score.reasons == (f"no response needed: {why}",)


@pytest.mark.parametrize("text, sentiment, needs_response", [
    ("@acme 😡😡😡", "negative", True),
    ("👎", "negative", True),
    ("@acme 👍", "positive", False),
    ("😍😍 https://t.co/abc", "positive", False),
])
def test_emoji_alone_read_as_they_feel(scorer, text, sentiment, needs_response):
    score = scorer.score(text)
    assert (score.sentiment, score.needs_response) == (sentiment, needs_response), score.reasons
    assert "emoji alone" in score.reasons


def test_an_angry_emoji_answering_our_reply_needs_a_person(scorer):
    assert scorer.score("😡", context=ScoringContext(answers_us=True)).needs_response


def test_very_long_text_is_scored_on_its_start(scorer):
    text = "where is my refund? " + "lorem ipsum " * 10_000
    assert len(text) > 100_000
    score = scorer.score(text)
    assert score.needs_response
    assert scorer.score(text) == scorer.score(text[:MAX_SCORED_CHARS])


def test_score_many_gives_what_score_gives(scorer):
    texts = ["Where is my refund?", "Love it!", "Where is my refund?", "", "Lovely day"]
    ratings = [None, 5, 1, None, None]
    contexts = [None, None, ScoringContext(tier="vip"), None, ScoringContext(is_public=False)]
    batch = scorer.score_many(texts, followers=[0, 0, 20_000, 0, 0], ratings=ratings, contexts=contexts)
    one_by_one = [scorer.score(t, followers=f, rating=r, context=c)
                  for t, f, r, c in zip(texts, [0, 0, 20_000, 0, 0], ratings, contexts)]
    assert batch == one_by_one


def test_a_page_read_together_reads_a_repeated_text_once_and_decides_each_post_by_its_context(scorer, monkeypatch):
    texts = ["Where is my refund?", "Where is my refund?", "Love it!", "Where is my refund?"]
    read = []
    reading = scorer._read
    monkeypatch.setattr(scorer, "_read", lambda text: read.append(text) or reading(text))
    readings = scorer.read_many(texts)
    assert read == ["Where is my refund?", "Love it!"]
    assert readings[0] is readings[1] is readings[3]
    vip = ScoringContext(tier="vip")
    assert scorer.decide(readings[1], followers=20_000, context=vip) == scorer.score(texts[1], followers=20_000,
                                                                                    context=vip)
    assert scorer.decide(readings[1], followers=20_000, context=vip) != scorer.decide(readings[0])


@pytest.mark.parametrize("name", ["vader", "textblob"])
def test_each_lexicon_can_be_the_scorer(name):
    scorer = scorer_with(scorer=name)
    assert scorer.model is None
    complaint = scorer.score("This is the worst, most awful service, I hate it.")
    assert complaint.sentiment == "negative" and complaint.needs_response
    assert any(r.startswith(f"{name}:") for r in complaint.reasons)
    assert not any(r.startswith("rule:") for r in scorer.score("Still waiting for my parcel").reasons)


def test_urgency_is_capped_when_everything_fires(scorer):
    score = scorer.score("Fire! lawsuit, data breach, refund, outage, cancel my account, terrible",
                         followers=10**7, context=ScoringContext(tier="vip", breached_recently=True))
    assert score.urgency == 1.0
    assert score.priority == "urgent"
