"""Render manifests: one row per rendered file, as JSON and CSV, written atomically and merged across shards.

Each shard of a render writes ``manifest.shard-K-of-N.json`` (``manifest.shard-1-of-1.json``
for a whole-pack render) after every batch, so a killed render resumes from it. The merged
``manifest.json`` / ``manifest.csv`` cover every shard found (in pack order).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sfxgen.licences import licence_counts
from sfxgen.wavfile import atomic_write_bytes

MANIFEST_VERSION = 1
SHARD_RE = re.compile(r"^manifest\.shard-(\d+)-of-(\d+)\.json$")


class ManifestError(ValueError):
    """A manifest is corrupt or belongs to another pack."""


@dataclasses.dataclass(frozen=True)
class ManifestEntry:
    """One rendered file."""

    order: int  # position of the file in the whole pack (sorting key across shards)
    file: str  # file name relative to the output folder
    sound: str  # the pack's sound name
    prompt: str
    image_sha256: str  # "" for text sounds
    seed: int
    take: int  # 1-based take number (the _NN block)
    batch_seeds: str  # seeds generated together, "s0 s1 ..." (needed to regenerate bit-identically)
    catid: str
    category: str
    subcategory: str
    duration_s: float  # seconds of audio in the file
    sample_rate: int
    bit_depth: str
    sample_peak_dbfs: float | None  # None for digital silence
    true_peak_dbtp: float | None
    lufs: float | None  # integrated loudness (None below 400 ms or silent)
    loudness_range: float | None
    sha256: str  # of the whole file
    # Added later: manifests written before them read with these defaults.
    strength: float = 1.0  # SDEdit strength (1: from pure noise)
    init_sha256: str = ""  # sha256 of the sound's init file ("" for none)
    source_clip: str = ""  # the bundle library recording the file was seeded from ("" for none)
    source_licence: str = ""  # that recording's licence
    loop: bool = False  # made to loop seamlessly (smpl loop over the whole file)
    loop_seam_db: float | None = None  # a loop's level step where it wraps, dB (steady textures: under 1)
    channels: int = 1  # 2: stereo
    loudness_target: float | None = None  # the pack's integrated-loudness target for the file (None: peak-normalised)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ManifestEntry:
        fields = dataclasses.fields(cls)
        required = {f.name for f in fields if f.default is dataclasses.MISSING}
        missing = required - set(d)
        if missing:
            raise ManifestError(f"manifest entry lacks {sorted(missing)}")
        return cls(**{f.name: d[f.name] for f in fields if f.name in d})


FIELDS = [f.name for f in dataclasses.fields(ManifestEntry)]
LOUDNESS_TOLERANCE_LU = 0.5  # a file further than this from its loudness target missed it


def off_target(entries: Iterable[ManifestEntry]) -> list[ManifestEntry]:
    """Files with a loudness target that they missed by more than LOUDNESS_TOLERANCE_LU, or could not be
    measured against (under 400 ms, or silent): usually the -1 dBFS peak ceiling held a peaky take back."""
    return [
        e
        for e in entries
        if e.loudness_target is not None and (e.lufs is None or abs(e.lufs - e.loudness_target) > LOUDNESS_TOLERANCE_LU)
    ]


def off_target_message(missed: Sequence[ManifestEntry], total: int) -> str:
    """One line naming the files that missed their loudness target (the first five)."""
    names = ", ".join(
        f"{e.file} ({'unmeasurable' if e.lufs is None else f'{e.lufs:.1f} LUFS'} for {e.loudness_target:g})"
        for e in missed[:5]
    )
    more = f" and {len(missed) - 5} more" if len(missed) > 5 else ""
    return (
        f"{len(missed)} of {total} files missed their loudness target by more than {LOUDNESS_TOLERANCE_LU:g} LU "
        f"(the peak ceiling held them back, or they are under 400 ms): {names}{more}; "
        "lower the target or raise peak_dbfs for those sounds"
    )


def shard_manifest_name(k: int, n: int) -> str:
    return f"manifest.shard-{k}-of-{n}.json"


def manifest_json(entries: Iterable[ManifestEntry], header: dict[str, Any]) -> bytes:
    """The manifest: ``header``, ``source_licences`` ({licence: files}, derived from the entries) and ``files``."""
    entries = list(entries)
    body = {
        **header,
        "source_licences": licence_counts(e.source_licence for e in entries),
        "manifest_version": MANIFEST_VERSION,
        "files": [dataclasses.asdict(e) for e in entries],
    }
    return (json.dumps(body, indent=1, sort_keys=True, allow_nan=False) + "\n").encode("utf-8")


def manifest_csv(entries: Iterable[ManifestEntry]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
    w.writeheader()
    for e in entries:
        row = dataclasses.asdict(e)
        w.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buf.getvalue().encode("utf-8")


def write_manifest(path: Path, entries: Iterable[ManifestEntry], header: dict[str, Any], csv_too: bool = False) -> None:
    """Atomically write ``path`` (JSON) and, with ``csv_too``, the CSV beside it (same stem)."""
    entries = sorted(entries, key=lambda e: e.order)
    atomic_write_bytes(path, manifest_json(entries, header), overwrite=True)
    if csv_too:
        atomic_write_bytes(path.with_suffix(".csv"), manifest_csv(entries), overwrite=True)


def read_manifest(path: Path) -> tuple[dict[str, Any], list[ManifestEntry]]:
    """Header and entries of a manifest JSON."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{path}: unreadable manifest ({exc}); delete it to re-render that shard") from exc
    if not isinstance(data, dict) or data.get("manifest_version") != MANIFEST_VERSION:
        raise ManifestError(f"{path}: not an sfxgen manifest (version {MANIFEST_VERSION})")
    header = {k: v for k, v in data.items() if k not in ("files", "manifest_version", "source_licences")}
    return header, [ManifestEntry.from_dict(d) for d in data.get("files", [])]


def shard_manifests(folder: Path) -> list[Path]:
    """The shard manifests in ``folder`` (sorted by K)."""
    found = [(int(m.group(1)), p) for p in Path(folder).glob("manifest.shard-*.json") if (m := SHARD_RE.match(p.name))]
    return [p for _, p in sorted(found)]


def merge_manifests(folders: Iterable[Path], out_dir: Path) -> tuple[Path, list[ManifestEntry]]:
    """Merge every shard manifest in ``folders`` into ``out_dir/manifest.json`` + ``.csv``.

    Raises:
        ManifestError: shards of different packs, or the same file listed with different hashes.
    """
    header: dict[str, Any] | None = None
    by_file: dict[str, ManifestEntry] = {}
    for folder in folders:
        for path in shard_manifests(Path(folder)):
            h, entries = read_manifest(path)
            key = {k: h.get(k) for k in ("pack_sha256", "bundle_sha256")}
            if header is None:
                header = {k: v for k, v in h.items() if k != "shard"}
            elif key != {k: header.get(k) for k in key}:
                raise ManifestError(f"{path}: rendered from another pack or bundle than the other shards; not merging")
            for e in entries:
                old = by_file.get(e.file)
                if old is not None and old.sha256 != e.sha256:
                    raise ManifestError(f"{e.file}: two shards disagree (sha256 {old.sha256[:12]} vs {e.sha256[:12]})")
                by_file[e.file] = e
    if header is None:
        raise ManifestError(f"no manifest.shard-*.json found in {[str(f) for f in folders]}")
    entries = sorted(by_file.values(), key=lambda e: e.order)
    out = Path(out_dir) / "manifest.json"
    write_manifest(out, entries, {**header, "shards_merged": True}, csv_too=True)
    return out, entries
