"""Build a bundle's sound library (:mod:`sfxgen.library`) from a corpus: the recordings library-seeded
generation starts from.

Every training-split clip (never validation or test, so the eval's held-out audio stays out of the bundle),
its first ``max_seconds`` as a diffusion-space log-mel (the runtime's numpy mel, as the engine sees it),
and its captions embedded by the bundle's own text encoder, so a prompt and a caption meet in one space.
The library file is written into the bundle and bundle.json gains its ``library`` section (file, sha256,
entries, licences) and ``defaults.strength``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np

from exporters.corpus.rules import clip_captions
from sfxgen.bundle import MANIFEST, load_bundle, sha256_file
from sfxgen.init_audio import read_audio
from sfxgen.library import LIBRARY_FILE, Library
from sfxgen.mel import log_mel, normalize
from sfxgen.query import QueryEncoder

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class LibraryConfig:
    """Which recordings go into the library and how generation uses them."""

    split: str = "train"  # corpus split the recordings come from
    max_seconds: float = 6.0  # stored length per recording (longer requests tile textures, pad one-shots)
    strength: float = 0.85  # the bundle's default SDEdit strength for prompts (1: library off by default)
    batch: int = 64  # captions per text-encoder call


def build_library(bundle_dir: Path, corpus: Path, config: LibraryConfig = LibraryConfig()) -> Library:
    """Write BUNDLE/library.npz from CORPUS's manifest and record it (and defaults.strength) in bundle.json."""
    bundle = load_bundle(bundle_dir)
    m = bundle.mel
    rows = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r["split"] == config.split]
    if not rows:
        raise ValueError(f"{corpus}: no clips in split {config.split!r}")
    max_samples = int(config.max_seconds * m.sample_rate)
    mels = [normalize(log_mel(read_audio(corpus / r["path"], m.sample_rate)[:max_samples], m), m) for r in rows]
    per_row = [clip_captions(r) for r in rows]  # a rule's own captions where it gives them
    captions = [c for cs in per_row for c in cs]
    owner = np.repeat(np.arange(len(rows)), [len(cs) for cs in per_row])  # (C,)
    encoder = QueryEncoder(bundle, ["CPUExecutionProvider"])
    embeds = np.concatenate(
        [encoder.encode_text(captions[i : i + config.batch])[0] for i in range(0, len(captions), config.batch)]
    )  # (C, E)
    meta = [
        {"id": r["id"], "category": r["category"], "licence": r["licence"], "source": r["source_package"]} for r in rows
    ]
    library = Library.from_mels(mels, embeds, owner, meta, m)
    path = bundle_dir / LIBRARY_FILE
    library.save(path)
    licences = sorted({r["licence"] for r in rows})
    manifest = bundle_dir / MANIFEST
    data = json.loads(manifest.read_text())
    data["library"] = {
        "file": LIBRARY_FILE,
        "sha256": sha256_file(path),
        "entries": len(rows),
        "license": " / ".join(licences),
    }
    data.setdefault("defaults", {})["strength"] = config.strength
    tmp = manifest.with_name(MANIFEST + ".part")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(manifest)
    load_bundle(bundle_dir)  # the result must load
    card = bundle_dir / "DATA_CARD.md"
    if card.is_file():
        write_card_section(card, library_card(rows, library, config))
    textures = sum(e.loops for e in library.entries)
    log.info(
        "library: %d recordings (%d textures), %d captions, %.1f MB -> %s",
        len(rows), textures, len(captions), path.stat().st_size / 1e6, path,
    )  # fmt: skip
    return library


CARD_HEADING = "## Sound library"


def library_card(rows: list[dict], library: Library, config: LibraryConfig) -> str:
    """The data card's section on the library: what ships, under which licences, and what it means for users."""
    from collections import Counter

    per = Counter((r["source_package"], r["licence"]) for r in rows)
    lines = [
        CARD_HEADING,
        "",
        f"library.npz holds {len(rows)} recordings, the corpus's {config.split!r} split (never validation or test "
        f"clips), each its first {config.max_seconds:g} s as an 8-bit log-mel ({sum(e.loops for e in library.entries)} "
        "textures, and recordings cut at that length, repeat for longer sounds; the rest are one-shots followed by "
        "silence), with their captions' "
        "embeddings from this bundle's text encoder (a recording's own captions where the corpus rules give them, "
        f"{sum(bool(r.get('file_captions')) for r in rows)} here, else its category's).",
        "",
        f"By default (strength {config.strength:g}) `sfxgen generate PROMPT` starts each variation from the recording "
        "whose caption is nearest to the prompt, noised to that strength, and the denoiser redraws it (SDEdit); "
        "consecutive seeds cycle through the nearest recordings. Such a file is a variation of a real recording, not "
        "a sound made from nothing: its metadata (iXML NOTES and the recipe's source_clip / source_licence) names "
        "the recording and its licence, and share-alike or attribution terms of that recording may apply to it. "
        "`--strength 1` generates from pure noise (the model alone).",
        "",
        "Recordings per package and licence:",
        *[f"- {pkg}: {lic}: {n}" for (pkg, lic), n in per.most_common()],
    ]
    return "\n".join(lines) + "\n"


def write_card_section(card: Path, section: str) -> None:
    """Replace the card's library section (from its heading to the next ``## `` heading) or append it."""
    text = card.read_text()
    start = text.find(CARD_HEADING)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(CARD_HEADING))
        text = text[:start] + section + (text[end + 1 :] if end >= 0 else "")
    card.write_text(text)
