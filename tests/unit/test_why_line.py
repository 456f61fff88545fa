from web.why import main_reason, why_line


def test_the_heaviest_safety_or_keyword_hit_is_the_main_reason():
    reasons = ["model:neutral 0.61", "vader:compound +0.66", "safety:fire ('smoking') +1.00",
               "keyword:charged twice (money) +0.25", "complaint +0.30", "public +0.05"]
    assert why_line("urgent", reasons) == "Urgent: safety (smoking)"


def test_a_keyword_reads_as_its_class_and_phrase():
    assert main_reason(["keyword:charged twice (money) +0.25", "complaint +0.30",
                        "topic:billing_or_refund ('charged twice', 'refund')"]) == "money (charged twice)"


def test_a_care_rule_comes_before_the_plain_why():
    assert main_reason(["rule:on hold for 45 minutes -0.30, urgency +0.05", "complaint +0.30"]) \
        == "on hold for 45 minutes"


def test_without_hits_the_reason_is_why_it_needs_an_answer():
    assert why_line("low", ["model:neutral 0.82", "question +0.20", "public +0.05",
                            "topic:delivery ('delivery')"]) == "Low: question"


def test_a_post_that_needs_no_answer_says_why_not():
    assert why_line(None, ["model:positive 0.88", "no response needed: praise"]) == "No answer needed: praise"
    assert why_line(None, []) == "No answer needed"
