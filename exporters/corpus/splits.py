"""Deterministic train/valid/test splits by take series, never by file.

A take series is a source file's folder plus its name stripped of trailing take numbering
(``swordhit_01`` .. ``swordhit_27`` -> ``swordhit``); near-duplicate takes thus share a split.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable

SPLITS = ("train", "valid", "test")
_TAKE_SUFFIX = re.compile(r"[\s_\-.]*\d+[a-z]?$")


def series_name(stem: str) -> str:
    """Strip trailing take numbering repeatedly: 'bird1_00' -> 'bird', 'swordhit_10a' -> 'swordhit'."""
    name = stem.lower()
    while True:
        stripped = _strip_once(name)
        if stripped == name or not stripped:
            return name
        name = stripped


def _strip_once(name: str) -> str:
    match = _TAKE_SUFFIX.search(name)
    return name[: match.start()] if match else name


def series_key(package: str, source_path: str) -> str:
    """Series identity: package, folder and numbering-free stem of the source path."""
    path = source_path.replace(":", "/")
    folder, _, filename = path.rpartition("/")
    stem = filename.rsplit(".", 1)[0]
    return f"{package}:{folder}/{series_name(stem)}"


def hashed_split(key: str, valid_pct: int = 10, test_pct: int = 10) -> str:
    """Split of a series from a stable hash of its key (~80/10/10 by default)."""
    bucket = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") % 100
    if bucket < test_pct:
        return "test"
    if bucket < test_pct + valid_pct:
        return "valid"
    return "train"


def assign_splits(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Map each series to a split from ``(series_key, category)`` pairs (one per clip).

    Series are hashed into splits; then every category without training data gets its largest
    series (ties broken by key) moved to train, so each category can be learnt.
    """
    clips_per_series: dict[str, int] = defaultdict(int)
    series_of_cat: dict[str, set[str]] = defaultdict(set)
    for key, cat in items:
        clips_per_series[key] += 1
        series_of_cat[cat].add(key)
    split = {key: hashed_split(key) for key in sorted(clips_per_series)}
    for cat in sorted(series_of_cat):
        keys = series_of_cat[cat]
        if not any(split[k] == "train" for k in keys):
            best = max(sorted(keys), key=lambda k: clips_per_series[k])
            split[best] = "train"
    return split
