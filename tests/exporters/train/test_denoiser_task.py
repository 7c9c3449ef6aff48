"""Class-balanced oversampling of the denoiser's epoch order; head-anchored crops."""

from __future__ import annotations

from collections import Counter

import numpy as np

from exporters.train.augment import head_or_random_crop, random_crop
from exporters.train.denoiser_task import oversample_order


def test_rare_categories_are_repeated_round_robin_up_to_the_minimum() -> None:
    cats = ["dog"] * 2 + ["rain"] * 5 + [""] * 1 + ["car"] * 3
    order = oversample_order(cats, 4)
    # every item once, then dog 0,1 again; car 8 once more; rain already has 5; "" never repeated
    np.testing.assert_array_equal(order, [*range(11), 8, 0, 1])
    per_cat = Counter(cats[i] for i in order)
    assert per_cat == {"dog": 4, "rain": 5, "car": 4, "": 1}


def test_zero_minimum_keeps_one_pass_over_the_items() -> None:
    np.testing.assert_array_equal(oversample_order(["a", "b", "b"], 0), [0, 1, 2])


def test_head_crops_start_at_the_attack_with_the_given_probability() -> None:
    rng = np.random.default_rng(0)
    starts = np.array([head_or_random_crop(400, 128, rng, 0.5) for _ in range(4000)])
    assert 0.47 < np.mean(starts == 0) < 0.53  # the head half the time (uniform alone: 1 in 273)
    assert starts.max() == 272 and np.all(starts <= 400 - 128)
    # probability 0 draws nothing extra: the same starts as plain uniform crops from the same seed
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    assert [head_or_random_crop(400, 128, a, 0.0) for _ in range(50)] == [random_crop(400, 128, b) for _ in range(50)]
