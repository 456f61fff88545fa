import pytest

from listener.followup_answers import asks_not_to_be_contacted, read_answer


@pytest.mark.parametrize("text", ["@acme no, still broken", "Nope.", "not fixed", "It broke again yesterday",
                                  "u/acme_care yes but it is still broken", "No it didn't help"])
def test_a_no_is_unsatisfied(text):
    assert read_answer(text, "neutral") == "unsatisfied"


@pytest.mark.parametrize("text", ["@acme yes thanks!", "Yep all sorted", "works now, cheers",
                                  "No problems since, thanks", "all good"])
def test_a_yes_is_satisfied(text):
    assert read_answer(text, "neutral") == "satisfied"


def test_without_a_yes_or_no_the_sentiment_decides():
    assert read_answer("Honestly the worst week of my life", "negative") == "unsatisfied"
    assert read_answer("You lot are brilliant", "positive") == "satisfied"
    assert read_answer("I will check tonight", "neutral") is None


def test_a_handle_is_not_read_as_an_answer():
    assert read_answer("@nobody_home I will check tonight", "neutral") is None


@pytest.mark.parametrize("text, expected", [
    ("@acme STOP", True), ("unsubscribe", True), ("please stop messaging me", True),
    ("don't contact me again", True), ("leave me alone", True),
    ("stop the charges on my card please", False), ("yes it works", False),
])
def test_asking_not_to_be_contacted(text, expected):
    assert asks_not_to_be_contacted(text) is expected


def test_a_plain_yes_or_no_in_a_few_other_languages():
    assert read_answer("@acme Sí, gracias", "neutral") == "satisfied"
    assert read_answer("Oui merci", "neutral") == "satisfied"
    assert read_answer("Nein, immer noch kaputt", "neutral") == "unsatisfied"
