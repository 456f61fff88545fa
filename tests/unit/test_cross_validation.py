import pytest

from training.cross_validation import brand_folds
from training.datasets import Post
from training.figures import negative_tradeoff


def test_a_brand_s_posts_are_all_in_one_fold():
    brands = ["acme", "zeta", "acme", "bolt", "zeta", "acme", "cove", "bolt"]
    folds = brand_folds(brands, 3)
    for brand in set(brands):
        holding = [n for n, fold in enumerate(folds) if any(brands[at] == brand for at in fold)]
        assert len(holding) == 1
    assert sorted(at for fold in folds for at in fold) == list(range(len(brands)))


def test_the_folds_are_fixed_and_balanced_by_posts():
    brands = ["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 2
    folds = brand_folds(brands, 2)
    assert folds == brand_folds(brands, 2)
    assert sorted(len(fold) for fold in folds) == [7, 7]


def test_a_post_without_a_brand_is_a_brand_of_its_own():
    folds = brand_folds(["", "", "", ""], 2)
    assert sorted(len(fold) for fold in folds) == [2, 2]


@pytest.mark.parametrize("folds", [1, 4])
def test_every_post_is_measured_once(folds):
    brands = ["x", "y", "z", "x", "", "w"]
    found = brand_folds(brands, folds)
    assert len(found) == folds
    assert sorted(at for fold in found for at in fold) == list(range(len(brands)))


def test_the_negative_trade_off_moves_the_threshold_alone():
    labels = ["negative", "negative", "positive", "negative", "negative", "neutral", "positive", "neutral"]
    polarity = [-0.9, -0.8, -0.7, -0.6, -0.1, 0.2, 0.5, 0.6]
    posts = [Post(f"post {n}", "test", "acme", "retail", label) for n, label in enumerate(labels)]
    assert negative_tradeoff(posts, polarity, target=0.75) == (0.8, 1.0)
    assert negative_tradeoff(posts, polarity, target=0.9) == (0.8, 0.5)
