"""Training data sources: corpus manifests, audio folders, video folders, image+audio pairs.

Each source yields :class:`Clip` records (metadata only, nothing decoded);
:mod:`exporters.train.cache` decodes them once into mels and embeddings.

Caption rules for audio folders without a CSV (explicit, documented):
  * ``stem``: the file name without extension, ``_``/``-`` turned into spaces,
    trailing take numbers dropped: ``dog_bark_03.wav`` -> "dog bark";
  * ``parent``: the parent folder name, same clean-up: ``rain/heavy1.ogg`` -> "rain";
  * ``parent_stem``: both, parent first: ``door/slam_2.wav`` -> "door slam".
The category of such a clip is its parent folder name.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import re
from pathlib import Path

from exporters.corpus.rules import clip_captions
from exporters.train.config import DataConfig
from exporters.train.media import AUDIO_EXTS, IMAGE_EXTS, VIDEO_EXTS

logger = logging.getLogger(__name__)


class DataError(ValueError):
    """A dataset folder or manifest cannot be used; the message says what to fix."""


@dataclasses.dataclass(frozen=True)
class Clip:
    """One training example before decoding."""

    id: str  # stable id (manifest id or path relative to the dataset root)
    path: Path  # absolute path of the audio or video file
    kind: str  # "audio" | "video" | "image_audio"
    split: str = "train"
    category: str = ""
    captions: tuple[str, ...] = ()
    image: Path | None = None  # image_audio: the paired picture
    sha256: str | None = None  # content hash if the manifest has it (saves re-hashing)
    source: str = ""  # source package / licence note, for data cards
    licence: str = ""


def clean_name(name: str) -> str:
    """'dog_bark-03' -> 'dog bark' (separators to spaces, trailing take numbers dropped)."""
    words = re.sub(r"[_\-.]+", " ", name).split()
    while words and re.fullmatch(r"\d+|take\d+|v\d+", words[-1].lower()):
        words.pop()
    text = " ".join(words)
    text = re.sub(r"(?<=[a-z])\d+$", "", text)  # "heavy1" -> "heavy"
    return text.strip().lower()


def caption_from_path(path: Path, rule: str) -> str:
    """Caption of an audio file by one of the explicit rules in the module docstring."""
    if rule == "stem":
        return clean_name(path.stem)
    if rule == "parent":
        return clean_name(path.parent.name)
    if rule == "parent_stem":
        return f"{clean_name(path.parent.name)} {clean_name(path.stem)}".strip()
    raise DataError(f"unknown caption_rule {rule!r}; use 'stem', 'parent' or 'parent_stem'")


def read_manifest(path: Path, split: str = "") -> list[Clip]:
    """Clips of a corpus manifest.jsonl (one JSON object a line, see CONTRACTS/the corpus builder).

    Args:
        path: the manifest file or the corpus folder holding ``manifest.jsonl``.
        split: keep only this split ("" keeps all).
    """
    path = Path(path)
    if path.is_dir():
        path = path / "manifest.jsonl"
    if not path.is_file():
        raise DataError(f"{path}: no corpus manifest; build one with `sfxgen corpus build DIR`")
    root = path.parent
    clips: list[Clip] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rel = row["path"]
                clip = Clip(
                    id=str(row.get("id", rel)),
                    path=(root / rel).resolve(),
                    kind="video" if Path(rel).suffix.lower() in VIDEO_EXTS else "audio",
                    split=str(row.get("split", "train")),
                    category=str(row.get("category", "")),
                    captions=tuple(str(c) for c in clip_captions(row) if str(c).strip()),
                    image=(root / row["image"]).resolve() if row.get("image") else None,
                    sha256=row.get("sha256"),
                    source=str(row.get("source_package", "")),
                    licence=str(row.get("licence", "")),
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DataError(f"{path}:{lineno}: bad manifest row ({exc})") from exc
            if clip.image is not None:
                clip = dataclasses.replace(clip, kind="image_audio")
            if not split or clip.split == split:
                clips.append(clip)
    if not clips:
        raise DataError(f"{path}: no clips with split {split!r}")
    return clips


def _files(root: Path, exts: tuple[str, ...]) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in exts)


def scan_audio_folder(root: Path, captions_csv: str = "", caption_rule: str = "stem") -> list[Clip]:
    """Audio files under root, captioned from a CSV (path,caption[,category]) or by a file-name rule."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder")
    table: dict[str, tuple[list[str], str]] = {}
    if captions_csv:
        csv_path = root / captions_csv if not Path(captions_csv).is_absolute() else Path(captions_csv)
        with open(csv_path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or not {"path", "caption"} <= set(reader.fieldnames):
                raise DataError(f"{csv_path}: needs a header with columns path,caption[,category]")
            for row in reader:
                caps, cat = table.setdefault(row["path"], ([], row.get("category") or ""))
                caps.append(row["caption"])
    clips = []
    for p in _files(root, AUDIO_EXTS):
        rel = p.relative_to(root).as_posix()
        if table:
            if rel not in table:
                continue
            caps, cat = table[rel]
            captions = tuple(caps)
            category = cat or clean_name(p.parent.name) or captions[0]
        else:
            captions = (caption_from_path(p.relative_to(root), caption_rule),)
            category = clean_name(p.parent.name) if p.parent != root else captions[0]
        clips.append(Clip(id=rel, path=p.resolve(), kind="audio", category=category, captions=captions))
    if not clips:
        videos = _files(root, VIDEO_EXTS)
        hint = " (it holds videos: use data.kind = 'video_folder')" if videos else ""
        raise DataError(f"{root}: no usable audio files ({', '.join(AUDIO_EXTS)}){hint}")
    return clips


def scan_video_folder(root: Path) -> list[Clip]:
    """Video files under root (or listed in a manifest.jsonl); captions from a sidecar .txt if any."""
    root = Path(root)
    if root.is_file() or (root / "manifest.jsonl").is_file():
        return read_manifest(root)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder")
    clips = []
    for p in _files(root, VIDEO_EXTS + AUDIO_EXTS):
        rel = p.relative_to(root).as_posix()
        caption = p.with_suffix(".txt").read_text(encoding="utf-8").strip() if p.with_suffix(".txt").is_file() else ""
        category = clean_name(p.parent.name) if p.parent != root else ""
        # audio files are kept so the cache can report them ("audio-only file in a video folder")
        clips.append(
            Clip(id=rel, path=p.resolve(), kind="video", category=category, captions=(caption,) if caption else ())
        )
    if not clips:
        raise DataError(f"{root}: no video files ({', '.join(VIDEO_EXTS)}) found")
    return clips


def scan_image_audio(root: Path) -> list[Clip]:
    """Image + audio pairs sharing a stem (``cat.png`` + ``cat.ogg``, optional ``cat.txt`` caption)."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder")
    images = {p.with_suffix(""): p for p in _files(root, IMAGE_EXTS)}
    clips = []
    for p in _files(root, AUDIO_EXTS):
        img = images.get(p.with_suffix(""))
        if img is None:
            continue
        txt = p.with_suffix(".txt")
        caption = txt.read_text(encoding="utf-8").strip().splitlines()[0] if txt.is_file() else clean_name(p.stem)
        rel = p.relative_to(root).as_posix()
        category = clean_name(p.parent.name) if p.parent != root else clean_name(p.stem)
        clips.append(
            Clip(id=rel, path=p.resolve(), kind="image_audio", category=category, captions=(caption,), image=img)
        )
    if not clips:
        raise DataError(f"{root}: no image+audio pairs (same stem, e.g. dog.png + dog.ogg)")
    return clips


def load_clips(config: DataConfig, split: str | None = None, base: Path | None = None) -> list[Clip]:
    """Clips of a data config; ``split`` overrides ``config.split`` for manifests."""
    path = Path(config.path)
    if base is not None and not path.is_absolute():
        path = base / path
    split = config.split if split is None else split
    if config.kind == "corpus":
        return read_manifest(path, split)
    if config.kind == "audio_folder":
        return scan_audio_folder(path, config.captions_csv, config.caption_rule)
    if config.kind == "video_folder":
        clips = [c for c in scan_video_folder(path) if not split or c.split == split]
        if not clips:
            raise DataError(f"{path}: no videos with split {split!r} (a plain folder is all 'train'; use split = '')")
        return clips
    if config.kind == "image_audio":
        return scan_image_audio(path)
    raise DataError(f"unknown data.kind {config.kind!r}; use corpus, audio_folder, video_folder or image_audio")


def caption_pool(clips: list[Clip], config: DataConfig) -> dict[str, tuple[str, ...]]:
    """Per clip id, every caption it may be trained with.

    The clip's own captions, those of every clip of its category (when
    ``category_captions``), and the paraphrase templates filled with the
    category name. Sorted so the pool (and its indices) is deterministic.
    """
    by_cat: dict[str, set[str]] = {}
    for c in clips:
        by_cat.setdefault(c.category, set()).update(c.captions)
    pools: dict[str, tuple[str, ...]] = {}
    for c in clips:
        texts = set(c.captions)
        if config.category_captions and c.category:
            texts |= by_cat[c.category]
        subject = (c.category or (c.captions[0] if c.captions else "")).replace("_", " ").strip()
        if subject:
            texts |= {t.format(c=subject) for t in config.paraphrase_templates}
        pools[c.id] = tuple(sorted(texts))
    return pools
