import pytest

from config import load_settings
from listener.keywords import harm_in
from listener.scoring import Scorer


@pytest.fixture(scope="module")
def scorer():
    return Scorer(load_settings(env={}).scoring)


def scorer_with(**scoring) -> Scorer:
    return Scorer(load_settings(env={}, overrides={"scoring": scoring}).scoring)


HARMS = [
    # fire, smoke, burns
    ("@acme your heater burnt my hand", "fire", "burnt"),
    ("the box is sparking and smoking", "electric_shock", "sparking"),
    ("The toaster started smoking this morning, is it safe to use?", "fire", "smoking"),
    ("My fan heater smoked for a minute then died", "fire", "smoked"),
    ("The kettle base is burning hot and smells of plastic", "fire", "burning"),
    ("your lamp burned a hole in my desk", "fire", "burned"),
    ("There was smoke coming out of the charger", "fire", "smoke"),
    ("the power bank caught fire on my bed", "fire", "caught fire"),
    ("there is fire coming out of the socket behind the fridge", "fire", "there is fire"),
    ("the room you gave us was fire damaged and stank", "fire", "was fire damaged"),
    ("flames came out of the back of the unit", "fire", "flames"),
    ("the battery exploded while charging", "fire", "exploded"),
    ("the charger melted into the socket", "fire", "melted"),
    ("the dryer scorched my shirt and the wall behind it", "fire", "scorched"),
    ("there is a smell of gas since your engineer left", "fire", "smell of gas"),
    ("my alarm says carbon monoxide near the new boiler", "fire", "carbon monoxide"),
    # electric shock, sparks
    ("I got shocked touching the washing machine door", "electric_shock", "got shocked"),
    ("the socket sparked when I plugged the drill in", "electric_shock", "sparked"),
    ("sparks flying out of the plug!!", "electric_shock", "sparks"),
    ("the cable has exposed wires where it meets the plug", "electric_shock", "exposed wires"),
    ("that shaver gave me an electric shock", "electric_shock", "electric shock"),
    ("my son was nearly electrocuted by the toy", "electric_shock", "electrocuted"),
    # injury
    ("the step collapsed and I injured my knee", "injury", "injured"),
    ("the blade came loose and I cut my finger badly", "injury", "cut my finger"),
    ("I hurt my back lifting your faulty recliner", "injury", "hurt my"),
    ("I ended up in hospital after the fall in your store", "injury", "hospital"),
    ("the scooter brake failed and I fractured my wrist", "injury", "fractured"),
    ("my daughter slipped by your pool and cut her head open", "injury", "cut her head"),
    ("my asthma got so bad from the mould that I went to accident and emergency", "injury",
     "accident and emergency"),
    ("the shower scalded me, the thermostat is broken", "injury", "scalded"),
    # child
    ("my daughter fell off the bunk bed when the rail snapped", "child", "daughter fell"),
    ("the eyes come off this teddy, it's a choking hazard", "child", "choking hazard"),
    ("my toddler swallowed a piece of the toy", "child", "toddler swallowed"),
    # food poisoning
    ("the whole family got food poisoning after your takeaway", "food_poisoning", "food poisoning"),
    ("I was vomiting all night after the chicken wrap", "food_poisoning", "vomiting"),
    ("your prawns made me sick, I was up all night", "food_poisoning", "made me sick"),
    ("there was mouldy bread in my delivery", "food_poisoning", "mouldy"),
    ("@foodco found a piece of plastic in my yoghurt", "food_poisoning", "piece of plastic in"),
    ("there were shards of glass in the jar of sauce", "food_poisoning", "shards of glass"),
    ("a dead fly in my salad, disgusting", "food_poisoning", "dead fly in"),
    ("found glass in my sandwich from your shop", "food_poisoning", "found glass in"),
    # allergic reaction
    ("my son had an allergic reaction to the 'nut free' bar", "allergic_reaction", "allergic reaction"),
    ("I went into anaphylactic shock after the dessert", "allergic_reaction", "anaphylactic"),
    ("came out in hives after using the new shampoo", "allergic_reaction", "hives"),
    # self-harm and violence
    ("honestly I want to end my life, nothing works out", "self_harm", "end my life"),
    ("I'm going to hurt myself if this keeps happening", "self_harm", "going to hurt myself"),
    ("I feel like ending it all, nobody helps me with this", "self_harm", "ending it all"),
    ("honestly my family would be better off dead without me and this debt", "self_harm", "better off dead"),
    ("if you do this again I'll hurt myself", "self_harm", "i'll hurt myself"),
    ("your driver threatened me at my own door", "violence", "threatened me"),
    ("if this isn't fixed I'll kill someone at your branch", "violence", "i'll kill"),
    ("the delivery man punched me when I asked for ID", "violence", "punched me"),
    ("if I don't get a refund I'll come down and hurt someone", "violence", "come down and hurt"),
    ("tell your manager I'll hurt him when I see him", "violence", "i'll hurt"),
    # data breach and account takeover
    ("your app shows someone else's details on my account page", "data_breach", "someone else's details"),
    ("was there a data breach? my card details leaked", "data_breach", "data breach"),
    ("your breach notification email says my passwords leaked, what now?", "data_breach", "breach notification"),
    ("my passwords leaked after your app update", "data_breach", "passwords leaked"),
    ("my account was hacked and the email changed", "account_takeover", "hacked"),
    ("someone logged into my account from another country", "account_takeover", "someone logged into"),
    ("there was unauthorised access to my account from abroad", "account_takeover", "unauthorised access"),
    ("got an email that my password was reset but I didn't change my password", "account_takeover",
     "didn't change my password"),
    ("my email was changed without my permission and now I can't get in", "account_takeover",
     "email was changed without"),
    ("your app shows a login I don't recognise from Lagos", "account_takeover", "login i don't recognise"),
    # hazards
    ("the charger overheats until it is too hot to hold", "hazard", "overheats"),
    ("those stairs in your car park are dangerous", "hazard", "dangerous"),
    ("the stairs in your store are a death trap", "hazard", "death trap"),
    ("@acme my son cut his hand on the broken toy", "injury", "cut his hand"),
    ("my phone's battery swelled and pushed the screen out", "hazard", "battery swelled"),
]


@pytest.mark.parametrize("text, kind, phrase", HARMS)
def test_each_harm_makes_a_post_urgent_and_says_why(scorer, text, kind, phrase):
    score = scorer.score(text)
    assert score.needs_response
    assert score.priority == "urgent"
    assert score.sentiment == "negative"
    assert f"safety:{kind} ({phrase!r}) +1.00" in score.reasons
    assert harm_in(score.reasons) == kind


def test_a_post_without_a_harm_names_none_for_routing(scorer):
    assert harm_in(scorer.score("I will sue you, my lawyer is on it").reasons) is None
    assert harm_in(scorer.score("not burning anymore, thanks").reasons) is None


def test_there_are_at_least_forty_harm_phrases_covering_each_kind():
    kinds = {name for name, k in load_settings(env={}).scoring.keywords.items() if k.kind == "safety"}
    assert len(HARMS) >= 40
    assert {kind for _, kind, _ in HARMS} == kinds


def test_the_demo_heater_post_is_urgent_whatever_its_friendly_words(scorer):
    score = scorer.score("The AcmeBox heater I bought started smoking and smells like it's burning. Is it safe to use?")
    assert score.priority == "urgent"
    assert "safety:fire ('smoking') +1.00" in score.reasons


@pytest.mark.parametrize("text", [
    "Not burning anymore, thanks",
    "no smoke at all, it was just steam",
    "Nobody was hurt, but the shelf is broken",
    "no one got hurt thank goodness",
    "It never caught fire, it only clicks",
    "the sparks stopped after you replaced the fuse",
    "it isn't smoking any more",
    "there's no more smoke since the repair",
    "it's a smoke-free hotel and the room smelled fine",
    "Not a fire hazard after all, the engineer checked it",
    "I wasn't injured, the box was just dented",
    "It hasn't sparked since the update",
])
def test_a_denied_or_past_harm_is_not_urgent(scorer, text):
    score = scorer.score(text)
    assert score.priority != "urgent"
    assert not any(r.startswith("safety:") for r in score.reasons)


@pytest.mark.parametrize("text", [
    "No, it is smoking again right now!",
    "not sure why but the plug is sparking",
    "it didn't work and then it caught fire",
])
def test_a_negation_in_another_clause_does_not_deny_a_harm(scorer, text):
    assert scorer.score(text).priority == "urgent"


@pytest.mark.parametrize("text", [
    "The smoked salmon bagel was lovely",
    "Sparkling water is out of stock again",
    "I'm burnt out after this week, long day at work",
    "Had a lovely campfire with the family",
    "Fire sale this weekend, everything must go",
    "this new playlist is on point, sparks joy",
    "Burnley won again, great match",
    "Your hospitality was wonderful",
    "reading the small print hurt my brain",
    "the melted cheese on the burger was perfect",
    "this deal is fire 🔥 love it",
    "your new menu was fire, best burger in town",
    "your 5G is smoking fast, impressed",
    "this phone is a cheap piece of plastic",
    "the glass in my new frame is lovely",
    "your barber cut his hair far too short",
])
def test_words_that_only_look_like_harm_are_not_urgent(scorer, text):
    score = scorer.score(text)
    assert not any(r.startswith("safety:") for r in score.reasons)


def test_the_harm_classes_come_from_the_config():
    scorer = scorer_with(keywords={"flood": {"kind": "safety", "weight": 1.0, "words": ["flood*"],
                                             "ignore": ["flooded with messages"]}})
    assert "safety:flood ('flooding') +1.00" in scorer.score("The washer is flooding my kitchen").reasons
    assert scorer.score("The washer is flooding my kitchen").priority == "urgent"
    assert not any("flood" in r for r in scorer.score("We were flooded with messages today").reasons)
    assert not any("flood" in r for r in scorer.score("No flooding at all now, thank you").reasons)


def test_a_keyword_class_is_not_denied_by_a_negation():
    """Only harms are denied: "not refunded" and "no refund" still count."""
    score = scorer_with().score("I have still had no refund")
    assert "keyword:refund (money) +0.25" in score.reasons


def test_a_harm_goes_to_a_senior_through_its_priority(scorer):
    routing = load_settings(env={}).routing
    assert scorer.score("the heater sparked and burnt the carpet").priority in routing.senior_priorities
