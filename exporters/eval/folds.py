"""Two folds of the training split by take series, for judges that never heard a given recording.

Library-seeded clips start from training recordings, and the eval's judge was trained on those very
recordings (it gets ~87 % of its own training clips right and ~27 % of held-out ones), so it recognises
them partly by memory. Two more judges, each trained on one fold, cross-fit that away: a clip seeded from
a recording in fold k is judged by the judge of fold 1 - k, which heard neither that recording nor any take
of its series (take series are near-duplicates, as in the corpus's own split).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

import numpy as np

from exporters.corpus.splits import series_key
from exporters.eval.classifier import embed_and_classify
from sfxgen.configs import MelConfig

FOLDS = 2


def clip_series(row: dict[str, Any]) -> str:
    """The take series of a manifest row (GM renders have no source package: their path is their series)."""
    return series_key(row.get("source_package", ""), row.get("source_path", row["path"]))


def assign_folds(train: list[dict[str, Any]]) -> dict[str, int]:
    """Clip id -> fold (0 or 1): whole series per fold, each category's clips balanced between the folds.

    Per category, its series from the largest down (ties by key) go to the fold holding fewer of its clips so
    far. A category with a single series lands in one fold only: the other fold's judge does not know it.
    """
    series_of_cat: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in train:
        series_of_cat[r["category"]][clip_series(r)].append(r["id"])
    fold: dict[str, int] = {}
    total = [0] * FOLDS
    for cat in sorted(series_of_cat):
        held = [0] * FOLDS
        for _series, ids in sorted(series_of_cat[cat].items(), key=lambda kv: (-len(kv[1]), kv[0])):
            k = min(range(FOLDS), key=lambda f: (held[f], total[f], f))
            held[k] += len(ids)
            total[k] += len(ids)
            for i in ids:
                fold[i] = k
    return fold


@dataclasses.dataclass(frozen=True)
class FoldJudges:
    """The two fold judges and the fold of every training clip."""

    models: tuple[Any, ...]  # AudioClassifier of fold 0, fold 1
    classes: tuple[str, ...]  # their shared label space (all training categories)
    fold: dict[str, int]  # training clip id -> fold
    known: tuple[frozenset[str], ...]  # categories each judge trained on

    def top1(
        self, feats: list[np.ndarray], categories: list[str], mel: MelConfig, sources: list[str | None] | None = None
    ) -> tuple[float | None, int]:
        """(share of judged clips put in their category, clips judged).

        A clip seeded from a training recording (``sources[i]``, its corpus id) is judged by the judge of the
        other fold only; a clip without one (real test audio, pure noise starts) by both. A judge never judges
        a category it did not train on, so such clips do not count.
        """
        sources = sources if sources is not None else [None] * len(feats)
        hits = judged = 0
        for k, model in enumerate(self.models):
            mine = [
                i
                for i, (cat, src) in enumerate(zip(categories, sources, strict=True))
                if cat in self.known[k] and self.fold.get(src) != k  # src None: both judges
            ]
            if not mine:
                continue
            _, logp = embed_and_classify(model, [feats[i] for i in mine], mel)  # (n, C)
            labels = np.array([self.classes.index(categories[i]) for i in mine])
            hits += int(np.sum(logp.argmax(axis=1) == labels))
            judged += len(mine)
        return (hits / judged if judged else None), judged
