import pytest

from training.cross_validation import brand_folds


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
