from config.platforms import LABELS, PLATFORMS
from web.formatting import shown_handle


def test_every_platform_has_a_label():
    assert set(LABELS) == set(PLATFORMS)


def test_only_platforms_with_handles_show_one_and_never_twice():
    assert shown_handle("x", "maria_k") == "@maria_k"
    assert shown_handle("reddit", "kenji_t") == "u/kenji_t"
    assert shown_handle("facebook", "Ben Jones") == shown_handle("reviews", "Lena") == ""
    assert shown_handle("reddit", "aisha_writes", beside="aisha_writes") == ""
