import numpy as np
import torch

from exporters.eval.classifier import AudioClassifier, ClassifierConfig, features
from exporters.eval.folds import FoldJudges, assign_folds, clip_series
from sfxgen.configs import MelConfig

CLASSES = ("dog", "gravel", "rain")


def _row(i: int, cat: str, series: str) -> dict:
    return {"id": f"{cat}{i}", "path": f"audio/{cat}{i}.flac", "category": cat, "source_package": "pkg",
            "source_path": f"sounds/{series}{i}.ogg"}  # fmt: skip


def test_folds_keep_each_take_series_whole_and_balance_each_category() -> None:
    train = (
        [_row(i, "gravel", "fs_gravel") for i in range(8)]  # one series of 8 takes
        + [_row(10 + i, "gravel", "crunch") for i in range(5)]
        + [_row(20 + i, "gravel", "step") for i in range(4)]
        + [_row(i, "rain", "rain_loop") for i in range(3)]  # a single series
    )
    fold = assign_folds(train)
    assert set(fold) == {r["id"] for r in train}
    by_series: dict[str, set[int]] = {}
    for r in train:
        by_series.setdefault(clip_series(r), set()).add(fold[r["id"]])
    assert all(len(f) == 1 for f in by_series.values())  # never a series split between the folds
    gravel = [fold[r["id"]] for r in train if r["category"] == "gravel"]
    assert sorted([gravel.count(0), gravel.count(1)]) == [8, 9]  # 8 | 5 + 4
    assert len({fold[r["id"]] for r in train if r["category"] == "rain"}) == 1
    assert assign_folds(list(reversed(train))) == fold  # deterministic, whatever the manifest order


def _judge_that_always_says(cat: str, mel: MelConfig) -> AudioClassifier:
    """A real classifier whose head is set so that every clip comes out as ``cat``."""
    model = AudioClassifier(mel.n_mels, len(CLASSES), ClassifierConfig(widths=(4,), embed_dim=4, crop_frames=16))
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.copy_(torch.tensor([10.0 if c == cat else 0.0 for c in CLASSES]))
    return model.eval()


def test_a_seeded_clip_is_judged_only_by_the_fold_that_never_heard_its_recording() -> None:
    mel = MelConfig()
    judges = FoldJudges(
        models=(_judge_that_always_says("gravel", mel), _judge_that_always_says("dog", mel)),
        classes=CLASSES,
        fold={"g0": 0, "g1": 1, "d0": 0},
        known=(frozenset({"gravel", "dog"}), frozenset({"gravel", "dog", "rain"})),
    )
    clip = features(0.1 * np.random.default_rng(0).standard_normal(mel.sample_rate), mel)
    # seeded from g0 (fold 0): judge 1 says dog -> miss; from g1: judge 0 says gravel -> hit
    assert judges.top1([clip, clip], ["gravel", "gravel"], mel, ["g0", "g1"]) == (0.5, 2)
    assert judges.top1([clip], ["gravel"], mel, ["g0"]) == (0.0, 1)
    # no recording (real test audio, a start from noise): both judges, one hit of two
    assert judges.top1([clip], ["gravel"], mel) == (0.5, 2)
    # rain is known to judge 1 only: a rain clip from noise is judged once; seeded from fold 1, by nobody
    assert judges.top1([clip], ["rain"], mel) == (0.0, 1)
    assert judges.top1([clip], ["rain"], mel, ["r1"]) == (
        0.0,
        1,
    )  # a recording no judge trained on: any judge that knows rain
    judges_rain_in_1 = FoldJudges(judges.models, CLASSES, {**judges.fold, "r1": 1}, judges.known)
    assert judges_rain_in_1.top1([clip], ["rain"], mel, ["r1"]) == (None, 0)
