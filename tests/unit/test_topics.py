"""Topic phrases in context: words in a row, or two words near each other
in one sentence; a word that names a topic only in company never decides
one alone, and staff_or_service is the topic of posts about staff or
service only."""

import pytest

from config import load_settings
from listener.scoring import Scorer
from listener.topics import TopicChooser, TopicPhrases

TAXONOMY = {
    "lost": ("lost luggage", "bag|bags|suitcase ~ lost|missing|damaged"),
    "billing": ("refund*", "fee", "fees"),
}


@pytest.fixture(scope="module")
def scorer():
    return Scorer(load_settings(env={}).scoring)


def found(text, taxonomy=TAXONOMY):
    return TopicPhrases(taxonomy).find(text)


@pytest.mark.parametrize("text", [
    "you lost my bag", "my bag is missing", "my suitcase has gone missing again", "missing: one bag",
    "the bags, both of them, were damaged",
])
def test_two_words_near_each_other_name_a_topic_either_way_round(text):
    assert "lost" in found(text)


@pytest.mark.parametrize("text", [
    "what is the fee for a second bag", "my bag is in the overhead locker",
    "I lost my patience. The bag is fine though", "my bag sat on the floor of the lounge for an hour, all missing",
])
def test_one_of_the_two_alone_far_apart_or_in_another_sentence_names_nothing(text):
    assert "lost" not in found(text)


def test_a_word_serves_every_pair_it_matches():
    taxonomy = {"app": ("update* ~ app",), "order": ("order ~ update",), "wait": ("wait* ~ hours",),
                "lost": ("bag ~ wait for",)}
    assert found("no update on my order and the app update failed", taxonomy) == {
        "order": ["update … order"], "app": ["app … update"]}
    assert found("I had to wait for hours", taxonomy) == {"wait": ["wait … hours"]}
    assert found("still at the belt, we wait for one bag", taxonomy) == {"lost": ["wait for … bag"]}


def test_the_words_found_near_each_other_are_shown_in_the_reason():
    choice = TopicChooser(TAXONOMY).choose("they lost my bag in Lisbon")
    assert choice.topic == "lost" and choice.phrases == ("lost … bag",)
    assert choice.reason == "topic:lost ('lost … bag')"


def test_words_of_a_phrase_in_a_row_are_not_counted_again_as_a_pair_near_each_other():
    taxonomy = {"account": ("my account", "account ~ my|locked"), "billing": ("fee", "was charged")}
    assert found("I was charged a fee on my account", taxonomy) == {
        "billing": ["was charged", "fee"], "account": ["my account"]}
    assert found("my new account is locked", taxonomy) == {"account": ["my … account"]}
    assert found("my account is locked", taxonomy) == {"account": ["my account", "account … locked"]}
    assert TopicChooser(taxonomy).choose("I was charged a fee on my account").topic == "billing"


def test_words_in_a_row_still_name_a_topic():
    assert found("where is my lost luggage") == {"lost": ["lost luggage"]}
    assert found("a refund and the fee back") == {"billing": ["refund", "fee"]}


@pytest.mark.parametrize("text, topic", [
    ("How much is the fee for a second bag?", "billing_or_refund"),
    ("Your airline lost my bag and nobody knows where it is", "lost_or_damaged"),
    ("My suitcase came off the belt soaked and damaged", "lost_or_damaged"),
    ("my parcel arrived smashed, this is the second time", "lost_or_damaged"),
    ("The agent at the desk was rude to my mother", "staff_or_service"),
    ("I've been on hold for an hour and nobody answers", "staff_or_service"),
    ("Three emails and still no reply from you", "staff_or_service"),
    ("My internet has been down since this morning", "outage"),
    ("The app logs me out every time since the update", "website_or_app"),
    ("I was charged twice for one order", "billing_or_refund"),
])
def test_the_default_taxonomy_reads_phrases_in_context(scorer, text, topic):
    assert scorer.score(text).topic == topic


@pytest.mark.parametrize("text", [
    "I sent you an email about it yesterday",
    "You told me it would be sorted",
    "Can you help me please?",
    "Please reply to my DM",
    "I need to talk to someone about my service",
])
def test_an_incidental_word_names_no_staff_or_service(scorer, text):
    assert scorer.score(text).topic != "staff_or_service"


@pytest.mark.parametrize("text", [
    "This is the worst company I have ever dealt with, absolutely furious",
    "Honestly so disappointed with you lot today",
    "Absolutely fed up with you, worst experience ever",
])
def test_staff_or_service_is_not_the_topic_of_any_complaint(scorer, text):
    score = scorer.score(text)
    assert score.sentiment == "negative" and score.topic != "staff_or_service"
