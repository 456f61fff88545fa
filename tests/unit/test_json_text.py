"""JSON columns are written as json.dumps writes them, whatever the value."""

import json

import pytest

from store.json_text import json_text


class Ratio(float):
    pass


VALUES = [None, True, False, 0, -5, 10**30, 1.5, 1e-300, float("nan"), float("inf"), -float("inf"), Ratio(2.0),
          "", "plain", "é\u2028\x00\"\\ 😀", [], {}, (1, 2), ["x", ["y", {"z": None}]],
          {"id": "1900000000000000200", "text": "@acme My order", "edit_history_tweet_ids": ["1900000000000000200"]},
          {1: "a", True: "b", None: 3, 2.5: "c"}, {"reasons": ["complaint", "urgent"], "needs_response": True}]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_the_text_is_json_dumps_text(value):
    assert json_text(value) == json.dumps(value)


@pytest.mark.parametrize(
    "value",
    [{"a": object()}, {(1, 2): 1}, {1, 2}],
    ids=["an-object", "a-tuple-key", "a-set"],
)
def test_what_json_dumps_refuses_is_refused_alike(value):
    with pytest.raises(TypeError) as dumps_error:
        json.dumps(value)
    with pytest.raises(TypeError) as text_error:
        json_text(value)
    assert str(text_error.value) == str(dumps_error.value)


def test_a_refused_value_leaves_the_next_one_written():
    with pytest.raises(TypeError):
        json_text([{"a": 1}, object()])
    assert json_text([{"a": 1}]) == '[{"a": 1}]'
