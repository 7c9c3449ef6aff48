"""Take series never straddle splits; every category keeps training data."""

from __future__ import annotations

import pytest

from exporters.corpus.splits import assign_splits, hashed_split, series_key, series_name


@pytest.mark.parametrize(
    ("stem", "series"),
    [("swordhit_01", "swordhit"), ("swordhit_10a", "swordhit"), ("bird1_00", "bird"), ("Bark2", "bark"),
     ("male_death_61", "male_death"), ("door1-close", "door1-close"), ("935", "935"), ("wind", "wind")],
)  # fmt: skip
def test_series_name(stem: str, series: str) -> None:
    assert series_name(stem) == series


def test_series_never_straddle_splits() -> None:
    items = []
    for s in range(60):
        name = "sound" + chr(97 + s % 26) + chr(97 + s // 26)  # letters only: numbering is stripped
        for take in range(1, 9):
            items.append((series_key("pkg", f"a/b/{name}_{take:02d}.ogg"), f"cat{s % 7}"))
    split = assign_splits(items)
    by_series: dict[str, set[str]] = {}
    for key, _ in items:
        by_series.setdefault(key, set()).add(split[key])
    assert len(by_series) == 60 and all(len(v) == 1 for v in by_series.values())
    assert {split[k] for k in by_series} == {"train", "valid", "test"}


def test_every_category_gets_train_data() -> None:
    keys = [f"pkg:dir/s{i}" for i in range(400)]
    non_train = next(k for k in keys if hashed_split(k) != "train")
    split = assign_splits([(non_train, "tiny"), (non_train, "tiny")])
    assert split[non_train] == "train"
