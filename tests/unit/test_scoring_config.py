import pytest

from config import ConfigError, load_settings


def scoring(**values):
    return load_settings(env={}, overrides={"scoring": values}).scoring


def test_the_care_scorer_is_the_default_with_its_own_thresholds():
    settings = scoring()
    assert settings.scorer == "care"
    assert settings.sentiment_thresholds == (-0.35, 0.4)


@pytest.mark.parametrize("name, thresholds", [("vader", (-0.05, 0.05)), ("textblob", (-0.1, 0.2))])
def test_each_lexicon_has_its_own_thresholds_unless_set(name, thresholds):
    assert scoring(scorer=name).sentiment_thresholds == thresholds
    assert scoring(scorer=name, negative_below=-0.3).sentiment_thresholds == (-0.3, thresholds[1])


def test_an_unknown_scorer_names_the_ones_allowed():
    with pytest.raises(ConfigError, match=r"scoring.scorer = 'bert': Input should be 'care', 'vader' or 'textblob'"):
        scoring(scorer="bert")


def test_thresholds_must_be_in_order():
    with pytest.raises(ConfigError, match=r"negative_below \(0.5\) must not be above positive_above \(0.4\)"):
        scoring(negative_below=0.5)


@pytest.mark.parametrize("key", ["complaint", "question", "praise", "negative", "public", "repeat_complaint",
                                 "breached"])
def test_an_urgency_weight_must_be_between_0_and_1(key):
    with pytest.raises(ConfigError, match=rf"scoring.urgency.{key} = 1.5: Input should be less than or equal to 1"):
        scoring(urgency={key: 1.5})


def test_a_tier_weight_out_of_range_names_the_tier():
    with pytest.raises(ConfigError, match=r"scoring.tier_weights = .*tier 'gold': weight 2.0 must be between 0 and 1"):
        scoring(tier_weights={"gold": 2.0})


def test_tier_names_are_read_in_lower_case():
    assert scoring(tier_weights={"Gold": 0.1}).tier_weights["gold"] == 0.1


def test_a_topic_name_must_fit_the_tickets_column():
    with pytest.raises(ConfigError, match=r"topic name 'Late Trains!' must be lower-case letters, digits and _"):
        scoring(topics={"Late Trains!": {"phrases": ["late"]}})


def test_a_topic_phrase_must_have_a_word():
    with pytest.raises(ConfigError, match=r"scoring.topics.delay.phrases = \['late', '!!'\]: '!!' is not a word"):
        scoring(topics={"delay": {"phrases": ["late", "!!"]}})


def test_a_topic_without_phrases_is_refused_naming_it():
    with pytest.raises(ConfigError, match=r"scoring.topics.delay.phrases = \[\]: a topic needs at least one phrase; "
                                          r"set enabled = false to switch it off"):
        scoring(topics={"delay": {"phrases": []}})
    with pytest.raises(ConfigError, match=r"scoring.topics.parking.phrases: missing, it is required"):
        scoring(topics={"parking": {"label": "Parking"}})


def test_an_unknown_topic_key_is_refused_naming_it():
    with pytest.raises(ConfigError, match=r"scoring.topics.delay.words: unknown setting"):
        scoring(topics={"delay": {"words": ["late"]}})


@pytest.mark.parametrize("phrase, problem", [
    ("bag ~ lost ~ found", "one '~' at most"),
    ("lost|missing", "'|' separates alternatives only beside a '~'"),
    ("bag ~ lo*st|missing", "'lo\\*st': '\\*' may only end a phrase"),
    ("bag ~ lost||missing", "'' is not a word or phrase"),
])
def test_a_near_phrase_is_two_sides_of_alternatives(phrase, problem):
    with pytest.raises(ConfigError, match=rf"scoring.topics.lost.phrases = .*: {problem}"):
        scoring(topics={"lost": {"phrases": [phrase]}})


def test_topic_phrases_are_kept_in_lower_case_with_single_spaces():
    topic = scoring(topics={"lost": {"phrases": ["Lost  Luggage", " Bag*|Suit Case ~  Lost | MISSING "]}}).topics["lost"]
    assert topic.phrases == ("lost luggage", "bag*|suit case ~ lost|missing")


def test_each_topic_has_a_label_for_people():
    settings = scoring(topics={"car_park": {"phrases": ["car park"]}})
    assert settings.topic_label("billing_or_refund") == "Billing or refund"
    assert settings.topic_label("car_park") == "Car park"
    assert settings.topic_label("weather") == "weather"
    assert all(topic.label and topic.examples for topic in scoring().topics.values())


def test_a_switched_off_topic_leaves_the_taxonomy():
    settings = scoring(topics={"delay": {"enabled": False}})
    assert "delay" in settings.topics and "delay" not in settings.taxonomy
    assert list(scoring().taxonomy) == list(scoring().topics)


def test_a_star_may_only_end_a_phrase():
    with pytest.raises(ConfigError, match=r"scoring.keywords.money.words = .*'re\*fund': '\*' may only end a phrase"):
        scoring(keywords={"money": {"weight": 0.2, "words": ["re*fund"]}})


def test_an_unknown_scoring_key_is_refused():
    with pytest.raises(ConfigError, match="scoring.treshold: unknown setting"):
        scoring(treshold=0.5)


def test_phrases_are_kept_in_lower_case_with_single_spaces():
    assert scoring(spam=["  Free   FOLLOWERS "]).spam == ("free followers",)


def test_the_default_taxonomy_covers_customer_care():
    assert set(scoring().topics) == {"delay", "cancellation", "lost_or_damaged", "billing_or_refund",
                                     "booking_or_account", "staff_or_service", "product_defect", "delivery",
                                     "website_or_app", "outage"}


def test_the_keyword_classes_cover_harms_and_care():
    keywords = scoring().keywords
    assert {name for name, k in keywords.items() if k.kind == "safety"} == {
        "fire", "electric_shock", "injury", "child", "food_poisoning", "allergic_reaction", "self_harm", "violence",
        "data_breach", "account_takeover", "hazard"}
    assert {name for name, k in keywords.items() if k.kind == "keyword"} == {"fraud", "conduct", "legal", "churn",
                                                                             "money", "outage", "privacy"}


def test_a_keyword_class_kind_is_keyword_safety_or_sensitive():
    with pytest.raises(ConfigError, match=r"scoring.keywords.heat.kind = 'harm': Input should be 'keyword', "
                                          r"'safety' or 'sensitive'"):
        scoring(keywords={"heat": {"kind": "harm", "weight": 1.0, "words": ["hot"]}})


def test_languages_read_are_two_letter_codes_in_lower_case():
    assert load_settings(env={}, overrides={"scoring": {"languages_read": [" EN", "es"]}}).scoring.languages_read == (
        "en", "es")
    with pytest.raises(ConfigError, match="'english' is not a two-letter language code"):
        load_settings(env={}, overrides={"scoring": {"languages_read": ["english"]}})
