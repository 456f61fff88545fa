"""Which part of a searched text the trigram index is asked for: the words
few of the newest rows hold, with the character either side."""

from store.text_lookup import FREQUENT, rare_part


def test_a_word_most_rows_hold_is_left_out_with_its_separator_kept():
    assert rare_part("customer_4242", {"customer": 1000, "4242": 0}) == "_4242"
    assert rare_part("Order 123457", {"order": 1000, "123457": 0}) == " 123457"
    assert rare_part("the 4242 customer", {"the": FREQUENT, "4242": FREQUENT - 1, "customer": 900}) == " 4242 "


def test_the_part_spans_every_rare_word_and_what_lies_between():
    found = {"customer": 1000, "zebra": 0, "jones": 3}
    assert rare_part("Zebra, customer jones!", found) == "zebra, customer jones!"
    assert rare_part("customer zebra customer", found) == " zebra "


def test_the_whole_text_when_every_word_is_rare_or_none_is():
    assert rare_part("twice for one", {}) == "twice for one"
    assert rare_part("customer order", {"customer": 1000, "order": 1000}) == "customer order"
    assert rare_part("ab_cd", {"ab": 1000}) == "ab_cd"
