from listener.text_features import features, pair_features, tokens


def test_links_handles_and_digits_read_alike():
    assert tokens("@acme order 1234 never came!!! http://x.co") == ("user", "order", "0000", "never", "came", "!!",
                                                                    "url")
    assert tokens("@shop order 5678 never came!!! https://y.org/a") == tokens(
        "@acme order 1234 never came!!! http://x.co")


def test_a_text_s_kept_tokens_and_pairs_cannot_be_changed_by_a_reader():
    words = tokens("my bag never arrived")
    assert isinstance(words, tuple) and tokens("my bag never arrived") is words
    assert pair_features(words) == ("b:<s> my", "b:my bag", "b:bag never", "b:never arrived", "b:arrived </s>")
    assert isinstance(pair_features(words), tuple)


def test_features_are_the_words_n_grams_and_pairs():
    found = features("my bag")
    assert found[0] == "w:my" and "w:bag" in found
    assert "c: ba" in found and "c:bag " in found
    assert found[-3:] == ["b:<s> my", "b:my bag", "b:bag </s>"]
