"""Class-balanced oversampling of the denoiser's epoch order."""

from __future__ import annotations

from collections import Counter

import numpy as np

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
