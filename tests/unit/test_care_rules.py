import pytest

from config import load_settings
from listener.care_rules import rule_hits
from listener.phrases import PhraseIndex, words_of
from listener.scoring import Scorer


@pytest.fixture(scope="module")
def scorer():
    return Scorer(load_settings(env={}).scoring)


def names(text):
    return [h.name for h in rule_hits(text)]


@pytest.mark.parametrize("text, name", [
    ("Still waiting for someone to call me back", "still waiting"),
    ("still haven't heard anything from you", "still waiting"),
    ("Been on hold for 2 hours now", "on hold for 2 hours"),
    ("45 minutes on hold and counting", "45 minutes on hold"),
    ("They put me on hold again", "on hold"),
    ("I have been waiting for three weeks", "been waiting for three weeks"),
    ("Where is my refund?", "where is my refund"),
    ("where's our parcel", "where's our parcel"),
    ("My train got cancelled again", "cancelled again"),
    ("The app is down again!!", "down again"),
    ("This is the third time this month", "this is the third time"),
    ("For the second time my order is wrong", "for the second time"),
    ("Nobody answers the phone", "negation \"nobody answers\""),
    ("No response to my emails", "negation \"no response\""),
    ("My parcel never arrived", "negation \"never arrived\""),
    ("I haven't received my refund", "negation \"haven't received\""),
    ("The card reader is not working", "negation \"is not working\""),
    ("I can't log in since the update", "negation \"can't log in\""),
    ("Frankly this is unacceptable", "negation \"unacceptable\""),
    ("Thanks for nothing", "sarcasm \"thanks for nothing\""),
    ("Oh great, another delay", "sarcasm \"oh great\""),
    ("So much for next day delivery", "sarcasm \"so much for\""),
    ("Can someone help me with my booking", "asks for help"),
    ("Please DM me about this", "asks for help"),
])
def test_each_care_rule_sees_its_phrase(text, name):
    assert name in names(text)


@pytest.mark.parametrize("text", ["I can't wait for my new phone", "No worries at all", "Not bad for the price",
                                  "Couldn't be happier with the service"])
def test_a_negated_complaint_word_reads_as_positive(text):
    hits = rule_hits(text)
    assert hits and all(h.shift > 0 and not h.complaint for h in hits)


@pytest.mark.parametrize("text", ["Thanks so much for the help!", "I love my new kettle",
                                  "Is the store open on Sunday?", "Stillwater is a lovely town"])
def test_ordinary_posts_trigger_no_complaint_rule(text):
    assert not any(h.complaint for h in rule_hits(text))


def test_a_phrase_is_counted_once_even_when_two_rules_see_it():
    assert names("Still no refund") == ["still waiting"]


def test_rules_ignore_case_and_curly_apostrophes():
    assert "negation \"haven't received\"" in names("I HAVEN’T RECEIVED IT")


def test_sarcasm_turns_praise_into_a_complaint(scorer):
    score = scorer.score("Thanks for nothing, great service as always")
    assert score.sentiment == "negative"
    assert "rule:sarcasm \"thanks for nothing\" -0.20" in score.reasons


def test_praise_before_an_eye_roll_is_sarcasm_and_an_eye_roll_alone_is_an_emoji():
    assert names("thanks so much 🙄") == ["sarcasm \"thanks\" with an eye-roll", "emoji 🙄"]
    assert names("the engineer is coming tomorrow 🙄") == ["emoji 🙄"]
    assert names("Great service. The new phone is due Monday 😒") == ["emoji 😒"]


def test_weak_sarcasm_counts_only_beside_a_complaint():
    assert not any(h.name.startswith("sarcasm") for h in rule_hits("I love how you redesigned the shop"))
    assert any(h.name.startswith("sarcasm") for h in rule_hits("Love how my parcel never arrived"))


@pytest.mark.parametrize("text, name", [
    ("the app logs me out every five minutes", "logs me out every five minutes"),
    ("My phone drops calls every single time I leave the house", "drops calls every single time"),
    ("the game crashes all the time", "crashes all the time"),
    ("Their site goes down every evening", "goes down every evening"),
    ("the player constantly buffers on my tv", "constantly buffers"),
    ("the stream keeps pausing", "negation \"keeps pausing\""),
    ("is the website down?", "website down"),
    ("our internet is down since this morning", "internet is down"),
    ("Still having the same problem with my account", "still having the same problem"),
    ("The error persists after the update", "error persists"),
])
def test_recurring_failures_outages_and_lasting_problems_are_complaints(text, name):
    hits = [h for h in rule_hits(text) if h.name == name]
    assert hits and hits[0].complaint and hits[0].shift < 0, names(text)


@pytest.mark.parametrize("text", [
    "I go down to the shop every day",
    "Prices drop every Friday, lovely",
    "Our site is down for maintenance tonight",
    "The price went down, thank you",
    "Stocks are down today",
    "I walk the dog every morning",
    "We issue a statement every month",
])
def test_look_alikes_of_recurring_failures_and_outages_are_no_complaint(text):
    assert not any(h.complaint for h in rule_hits(text)), names(text)


@pytest.mark.parametrize("text, name", [
    ("Are you having any issues with the payment page?", "are you having any issues"),
    ("anyone else getting errors from the app today", "anyone else getting errors"),
    ("Your returns process is a joke", "is a joke"),
    ("what a shambles this morning", "what a shambles"),
    ("paid twice for one ticket #fail", "#fail"),
    ("The staff at the desk could have been more helpful", "could have been more helpful"),
    ("a company this size should know better", "should know better"),
    ("Your delivery tracking needs improvement", "needs improvement"),
])
def test_outage_questions_scorn_and_polite_criticism_are_complaints(text, name):
    hits = [h for h in rule_hits(text) if h.name == name]
    assert hits and hits[0].complaint and hits[0].shift < 0, names(text)


@pytest.mark.parametrize("text, name", [
    ("Really upset with the lack of communication about my order", "lack of communication"),
    ("the checkout is so slooow tonight", "so slooow"),
    ("Waiting outside in the rain is not ideal", "negation \"not ideal\""),
    ("Honestly not pleased with the new plan", "negation \"not pleased\""),
])
def test_a_lack_slowness_and_mild_displeasure_are_complaints(text, name):
    hits = [h for h in rule_hits(text) if h.name == name]
    assert hits and hits[0].complaint and hits[0].shift < 0, names(text)


@pytest.mark.parametrize("text, name", [
    ("The nurse went above and beyond for my mum", "praise \"above and beyond\""),
    ("The new menu did not disappoint", "praise \"did not disappoint\""),
    ("Your support team continues to impress", "praise \"continues to impress\""),
    ("kudos to the night shift", "praise \"kudos\""),
    ("the driver saved my evening", "praise \"saved my evening\""),
])
def test_praise_idioms_read_as_positive(text, name):
    hits = [h for h in rule_hits(text) if h.name == name]
    assert hits and hits[0].shift > 0 and not hits[0].complaint, names(text)


@pytest.mark.parametrize("text", ["I am so disappointed", "a slow cooker recipe for Sunday", "Not bad at all",
                                  "The lack of queues was lovely"])
def test_look_alikes_of_praise_idioms_and_displeasure_keep_their_reading(text):
    hits = rule_hits(text)
    assert not any(h.name.startswith("praise") for h in hits)
    assert not any(h.complaint for h in hits), names(text)


@pytest.mark.parametrize("text", [
    "it was just a joke lol",
    "Are you seeing the match tonight?",
    "I should be there by noon",
    "Is the kitchen a mess after the party?",
    "It couldn't be better, thanks",
    "Everyone else getting ready for the weekend?",
])
def test_look_alikes_of_outage_questions_scorn_and_criticism_are_no_complaint(text):
    assert not any(h.complaint for h in rule_hits(text)), names(text)


@pytest.mark.parametrize("text, said", [
    ("love how the app logs me out every five minutes", "love how"),
    ("Great that the site is down again on payday", "great that"),
    ("So glad the app crashes every time I open it", "so glad"),
    ("thanks for losing my parcel again", "thanks for losing"),
    ("Thanks for the helpful chat, the bill is wrong again", "thanks for"),
])
def test_sarcastic_praise_of_a_recurring_failure_is_sarcasm(text, said):
    assert f"sarcasm \"{said}\"" in names(text)


@pytest.mark.parametrize("text", [
    "Thanks again for your help!",
    "Thanks for helping me again, you are the best",
    "Love how easy the new app is",
    "So glad I switched, everything works",
    "Great that you open on Sundays now",
])
def test_praise_that_looks_like_sarcasm_is_no_sarcasm(text):
    assert not any(h.flips for h in rule_hits(text)), names(text)


@pytest.mark.parametrize("text, said", [
    ("@acme the app crashes again", "crashes again"),
    ("it breaks again after every update", "breaks again"),
    ("the connection drops again", "drops again"),
    ("the screen freezes again", "freezes again"),
    ("my heater stopped working again", "stopped working again"),
    ("the app logs me out again and again", "logs me out again"),
    ("the site fails again at checkout", "fails again"),
    ("they cancelled again, third week running", "cancelled again"),
])
def test_a_failure_again_is_a_complaint_whatever_the_verbs_form(text, said):
    assert said in names(text)


@pytest.mark.parametrize("text", ["it works again, thanks!", "great, it works again", "back again for another stay",
                                  "I'll try again tomorrow", "the price drops next week"])
def test_what_comes_back_or_is_tried_again_is_no_complaint(text):
    assert not any(h.complaint for h in rule_hits(text)), names(text)


@pytest.mark.parametrize("text", [
    "@bank I can't believe how easy that was",
    "@shop not a single problem with my order, thanks",
    "@bank honestly didn't expect such quick help",
    "@shop the dress is to die for",
    "@telco switched to you last month, no regrets",
])
def test_an_idiom_of_praise_read_as_negative_is_praise(scorer, text):
    score = scorer.score(text)
    assert score.sentiment == "positive", score.reasons
    assert not score.needs_response


@pytest.mark.parametrize("text", [
    "no regrets switching, but my order is late again",
    "not a single problem before, but the app crashes every time I open it now",
])
def test_an_idiom_of_praise_beside_a_complaint_leaves_the_complaint(scorer, text):
    assert scorer.score(text).sentiment == "negative"


@pytest.mark.parametrize("text, said", [
    ("@foodapp got someone else's order", "got someone else's order"),
    ("They sent me the wrong size again", "sent me the wrong size"),
    ("10 mbps when I pay for 500", "when i pay for"),
    ("ads on every show while I'm paying for premium", "while i'm paying for"),
    ("the jacket fell apart after one wash", "fell apart"),
    ("my new boots cracked after two weeks", "cracked after two weeks"),
    ("the servers are unplayable tonight", "unplayable"),
    ("the app is unusable since the update", "unusable"),
    ("my prescription has been 'ready tomorrow' for a week", "has been 'ready tomorrow' for a week"),
])
def test_a_wrong_item_poor_value_a_product_that_gives_out_and_a_service_unusable_are_complaints(text, said):
    assert said in names(text)


@pytest.mark.parametrize("text", [
    "I got the right size this time, thanks",
    "I pay for premium and love it",
    "the blender comes apart for easy cleaning",
    "it has been 'the best purchase' of the year",
    "someone else's recommendation brought me here",
])
def test_look_alikes_of_a_wrong_item_poor_value_and_a_product_giving_out_are_no_complaint(text):
    assert not any(h.complaint for h in rule_hits(text)), names(text)


@pytest.mark.parametrize("text, said", [
    ("@acme brilliant, the app crashed again", "brilliant,"),
    ("Fantastic! still no refund", "fantastic!"),
    ("@acme great job, my package is late again", "great job,"),
    ("cool cool cool, cancelled again", "cool cool cool,"),
    ("Booked for Friday. Perfect, delayed again", "perfect,"),
])
def test_praise_opening_a_sentence_beside_a_complaint_is_sarcasm(text, said):
    assert f"sarcasm \"{said}\"" in names(text)


@pytest.mark.parametrize("text", [
    "Great, thanks! My order is late though",
    "Perfect, cheers. The refund never arrived but it's fine now",
    "The food was great, but the order arrived late",
    "Great, it works again",
])
def test_courtesy_or_praise_inside_a_sentence_is_no_sarcasm(text):
    assert not any(h.flips for h in rule_hits(text)), names(text)


@pytest.mark.parametrize("text", ["Couldn't ask for more from a bank", "could not have asked for better service",
                                  "Just when I think it can't get any better"])
def test_praise_said_with_a_negation_reads_as_positive(text):
    hits = rule_hits(text)
    assert hits and all(h.shift > 0 and not h.complaint for h in hits)


def test_emoji_move_the_polarity(scorer):
    hits = rule_hits("my order 😡🙄")
    assert [h.name for h in hits] == ["emoji 😡🙄"] and hits[0].shift == pytest.approx(-0.3)
    assert rule_hits("arrived today 😍")[0].shift == pytest.approx(0.15)
    neutral = scorer.score("The parcel arrived today")
    angry = scorer.score("The parcel arrived today 😡😡")
    assert angry.polarity < neutral.polarity
    assert "rule:emoji 😡 -0.15" in angry.reasons


def test_waiting_rules_add_urgency_with_a_reason(scorer):
    plain = scorer.score("My refund has not come through")
    waiting = scorer.score("Still waiting, my refund has not come through")
    assert "rule:still waiting -0.30, urgency +0.05" in waiting.reasons
    assert waiting.urgency > plain.urgency


@pytest.mark.parametrize("text", ["Still waiting for my refund", "On hold for 40 minutes", "Where is my order?",
                                  "Cancelled again, third time this month", "Nobody answers the phone"])
def test_care_language_makes_a_complaint_even_when_the_words_are_mild(scorer, text):
    score = scorer.score(text)
    assert score.sentiment == "negative"
    assert score.needs_response


def test_phrases_match_whole_words_stems_and_the_longest_phrase():
    index = PhraseIndex({"churn": ["cancel my"], "cancelling": ["cancel*"], "place": ["car park", "car"]})
    assert index.find_all(words_of("I want to cancel my plan")) == [("churn", "cancel my")]
    assert index.find_all(words_of("They cancelled it")) == [("cancelling", "cancelled")]
    assert index.find_all(words_of("The car park, my car, a cart")) == [("place", "car park"), ("place", "car")]


def test_punctuation_inside_a_phrase_separates_words():
    index = PhraseIndex({"account": ["check-in"]})
    assert index.find_all(words_of("Online check in failed")) == [("account", "check in")]


@pytest.mark.parametrize("text", [
    "@acme my parcel arrived smashed, this is the second time",
    "The screen on my new tablet arrived cracked. Thanks",
    "my suitcase came back with a broken wheel, thanks @acme",
    "Lost my booking and nobody answers the phone, thanks",
    "Card payment failed again at the till, please",
    "good try but the replacement is still wrong",
    "Great, another delay on the 8:15",
    "love waiting 3 hours on the phone for nothing",
    "Thanks for nothing, the engineer never showed up",
    "Thanks for the third missed appointment this month",
    "would have been nice to be told the shop was closed",
    "The router is still down",
    "Refund? Not yet.",
    "It hasn't been fixed yet and it's been a week",
    "I have called you three times about this",
    "No wifi, no food, no staff anywhere",
    "Happened again, the app logged me out mid payment",
    "My order is late, thank you very much",
    "@mybank Thanks for freezing my card while I was abroad, really helpful 🙄",
    "@cloudapp great update, now the app logs me out every five minutes 😒",
    "@grandhotel Wonderful stay... if you enjoy cold showers and no wifi",
    "Great airline if you like waiting 3 hours for your bags",
    "brilliant service if you enjoy being on hold forever",
    "love how the app logs me out every five minutes",
    "So glad the app crashes every time I open it",
    "is your website down? checkout fails",
    "still having the same issue with my card",
    "@acme the app crashes again",
    "@acme brilliant, the app crashed again",
    "@acme fantastic, still no refund",
    "@acme great job, my package is late again",
])
def test_polite_sarcastic_and_understated_complaints_are_complaints(scorer, text):
    score = scorer.score(text)
    assert score.sentiment == "negative", score.reasons
    assert score.needs_response


def test_a_closing_thanks_set_aside_is_named_in_the_reasons(scorer):
    score = scorer.score("The screen on my new tablet arrived cracked. Thanks")
    assert any(r.startswith("model:") and r.endswith("without 'thanks'") for r in score.reasons)


@pytest.mark.parametrize("text", [
    "Thanks for the quick fix!",
    "love the new app",
    "All sorted now, thank you so much",
    "The engineer was brilliant and fixed it in ten minutes. Thanks",
    "Great service as always, cheers",
    "Loving the new colours, nice work team",
    "Great hotel if you like quiet places, loved it",
    "Perfect if you like spicy food, delicious",
    "Brilliant bank if you like no fees, so happy I switched",
    "Love how easy the new app is",
    "Thanks again for your help today!",
])
def test_praise_stays_praise(scorer, text):
    score = scorer.score(text)
    assert score.sentiment == "positive", score.reasons
    assert not score.needs_response


@pytest.mark.parametrize("text, said", [
    ("@acme follow back so I can DM you my address", "follow back"),
    ("Please follow me back so I can DM the details", "follow me back"),
    ("@acme check your DMs, sent the photos there", "check your dms"),
    ("I just DM'd you", "dm'd you"),
    ("sent you a DM with my account email", "sent you a dm"),
])
def test_asking_the_brand_to_talk_in_private_is_care_traffic(scorer, text, said):
    score = scorer.score(text)
    assert score.needs_response
    assert f"rule:direct message \"{said}\"" in score.reasons
    assert not any(r.startswith("no response needed: spam") for r in score.reasons)


@pytest.mark.parametrize("text", [
    "Order #55821 still not here, screenshots: https://img.example/a https://img.example/b https://img.example/c",
    "My orders #10023 #10024 #10025 #10026 #10027 #10028 all arrived without the cables",
    "see the attached screenshots https://img.example/1 https://img.example/2 https://img.example/3",
])
def test_order_numbers_and_screenshots_are_not_spam(scorer, text):
    assert not any(r.startswith("no response needed: spam") for r in scorer.score(text).reasons)


@pytest.mark.parametrize("text", [
    "Follow for follow! #teamfollowback",
    "Free followers, click here",
    "Crypto signals every morning, join now",
    "Huge giveaway: win a phone, retweet to enter",
    "use my code SAVE20 for 20% off everything, link in bio",
    "Deals #shoes #bags #sale #style #fashion #today",
    "win big http://a.example http://b.example http://c.example",
    "@acme DM me for cheap followers and likes, 1000 for $5",
    "Join my trading group, 300% returns guaranteed, DM me",
    "Passive income from home, message me to learn how",
    "@acme love your brand! DM me for a collab, link in my profile",
    "@acme we offer SEO services to grow your page, DM us",
    "@acme promote your business to 100k followers, message me",
    "Win a free iPhone 15! Retweet and follow to enter",
])
def test_promotions_crypto_and_follow_trains_stay_spam(scorer, text):
    score = scorer.score(text)
    assert not score.needs_response
    assert any(r.startswith("no response needed: spam") for r in score.reasons)


@pytest.mark.parametrize("text, name", [
    ("my order number is 12345", "details \"order number is 12345\""),
    ("booking ref AB1234 please", "details \"booking ref ab1234\""),
    ("see the attached photo", "details \"see the attached\""),
])
def test_details_are_seen(text, name):
    assert name in names(text)
