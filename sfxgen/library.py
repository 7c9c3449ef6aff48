"""Sound library: real recordings shipped inside a bundle as start points for generation.

A library-seeded variation is SDEdit (Meng et al. 2022) from a real recording: the recording's mel x0 is
noised to the sampler's step at ``strength`` of the schedule, x_t = alpha_t * x0 + sigma_t * eps, and the
reverse process runs from there under the prompt's condition. The coarse shape of the recording (onset,
envelope, broad spectrum) survives, the denoiser redraws the rest; strength 1 is generation from pure noise.

Which recording: the entries whose captions are nearest to the prompt by text embedding (cosine, the
bundle's own text encoder), the best one and those within :data:`MARGIN` of it, at most
:data:`MAX_CANDIDATES`; variation ``seed`` takes candidate ``seed % n``, so consecutive seeds of one
batch start from different recordings and a seed's source never depends on the batch.

File (``library.npz``, no pickles): mels uint8 (M, F_total) quantised diffusion-space log-mels of all
entries end to end, offsets int64 (K + 1,), lo / step float64 () of the quantisation, embeds float16
(C, E) L2-normalised caption embeddings, owner int32 (C,) caption -> entry, loops bool (K,), meta uint8
(JSON bytes: one {"id", "category", "licence", "source"} per entry).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sfxgen.configs import MelConfig
from sfxgen.loops import crossfade_loop

LIBRARY_FILE = "library.npz"
MARGIN = 0.08  # cosine below the best caption's that still counts as the same sound
MAX_CANDIDATES = 64  # recordings a prompt's variations cycle through: a whole batch (at most 64) gets distinct ones
LOOP_DROP_DB = 6.0  # a recording whose last quarter is within this of its median level is a texture (tiles)


class LibraryError(ValueError):
    """A library file is missing, corrupt or inconsistent with its bundle."""


@dataclasses.dataclass(frozen=True)
class LibraryEntry:
    """One recording of the library (its provenance travels into every file seeded from it)."""

    id: str  # corpus clip id
    category: str  # corpus category
    licence: str  # SPDX-like licence of the recording
    source: str  # where it came from (Debian package)
    loops: bool  # a texture (rain, engine): tiled to longer durations instead of padded with silence
    frames: int  # mel frames stored


class Library:
    """The recordings of a bundle as quantised diffusion-space mels, searchable by text embedding."""

    def __init__(
        self,
        mels: np.ndarray,
        offsets: np.ndarray,
        lo: float,
        step: float,
        embeds: np.ndarray,
        owner: np.ndarray,
        entries: Sequence[LibraryEntry],
    ) -> None:
        K = len(entries)
        if offsets.shape != (K + 1,) or offsets[0] != 0 or offsets[-1] != mels.shape[1]:
            raise LibraryError(f"library: offsets {offsets.shape} do not match {K} entries / {mels.shape[1]} frames")
        if np.any(np.diff(offsets) <= 0):
            raise LibraryError("library: every entry needs at least one frame")
        owners_ok = owner.size == 0 or 0 <= owner.min() <= owner.max() < K
        if embeds.ndim != 2 or owner.shape != (embeds.shape[0],) or not owners_ok:
            raise LibraryError("library: caption embeddings and owners disagree")
        self.mels, self.offsets, self.lo, self.step = mels, offsets, float(lo), float(step)
        self.embeds = embeds.astype(np.float32)  # (C, E)
        self.owner = owner.astype(np.int64)  # (C,)
        self.entries = tuple(entries)
        self._by_id = {e.id: k for k, e in enumerate(self.entries)}
        # recordings stored to the full window were cut from longer ones: they go on past it
        self.window = max(e.frames for e in self.entries) if self.entries else 0

    def __len__(self) -> int:
        return len(self.entries)

    # ------------------------------------------------------------------------------- file
    @classmethod
    def from_mels(
        cls,
        mels: Sequence[np.ndarray],
        embeds: np.ndarray,
        owner: np.ndarray,
        meta: Sequence[dict[str, str]],
        config: MelConfig,
    ) -> Library:
        """Quantise diffusion-space mels (each (M, T_k)) into a library; loops are detected here."""
        floor = (np.log(config.log_floor) - config.norm_mean) / config.norm_std
        hi = max(float(np.max(m)) for m in mels)
        step = (hi - floor) / 255.0
        q = [np.clip(np.round((m - floor) / step), 0, 255).astype(np.uint8) for m in mels]
        offsets = np.concatenate([[0], np.cumsum([m.shape[1] for m in mels])]).astype(np.int64)
        entries = [
            LibraryEntry(
                id=d["id"], category=d["category"], licence=d["licence"], source=d["source"],
                loops=is_texture(m, config), frames=int(m.shape[1]),
            )
            for m, d in zip(mels, meta, strict=True)
        ]  # fmt: skip
        return cls(np.concatenate(q, axis=1), offsets, floor, step, embeds, owner, entries)

    def save(self, path: Path) -> None:
        meta = [{"id": e.id, "category": e.category, "licence": e.licence, "source": e.source} for e in self.entries]
        tmp = path.with_name(path.name + ".part")
        with open(tmp, "wb") as fh:
            np.savez_compressed(
                fh,
                mels=self.mels,
                offsets=self.offsets,
                lo=np.float64(self.lo),
                step=np.float64(self.step),
                embeds=self.embeds.astype(np.float16),
                owner=self.owner.astype(np.int32),
                loops=np.array([e.loops for e in self.entries], dtype=bool),
                meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Library:
        try:
            with np.load(path, allow_pickle=False) as z:
                mels, offsets, loops = z["mels"], z["offsets"].astype(np.int64), z["loops"].astype(bool)
                meta = json.loads(z["meta"].tobytes().decode())
                lo, step = float(z["lo"]), float(z["step"])
                embeds, owner = z["embeds"], z["owner"]
        except (OSError, KeyError, ValueError) as exc:
            raise LibraryError(f"{path}: not a readable sound library ({exc}); re-copy or rebuild the bundle") from exc
        if len(meta) != len(loops) or len(offsets) != len(loops) + 1:
            raise LibraryError(f"{path}: {len(meta)} entries, {len(loops)} loop flags, {len(offsets)} offsets")
        entries = [
            LibraryEntry(
                id=str(d["id"]), category=str(d["category"]), licence=str(d["licence"]), source=str(d["source"]),
                loops=bool(lp), frames=int(offsets[k + 1] - offsets[k]),
            )
            for k, (d, lp) in enumerate(zip(meta, loops, strict=True))
        ]  # fmt: skip
        return cls(mels, offsets, lo, step, embeds, owner, entries)

    # ------------------------------------------------------------------------------- search
    def scores(self, query: np.ndarray) -> np.ndarray:
        """(K,) each entry's best caption cosine to an L2-normalised query embedding (E,)."""
        out = np.full(len(self.entries), -np.inf)
        np.maximum.at(out, self.owner, self.embeds.astype(np.float64) @ np.asarray(query, np.float64))
        return out

    def candidates(self, query: np.ndarray) -> np.ndarray:
        """Entry indices, best first: the nearest recording and those within MARGIN of it."""
        s = self.scores(query)
        order = np.argsort(-s, kind="stable")  # ties keep library order: deterministic
        keep = order[s[order] >= s[order[0]] - MARGIN][:MAX_CANDIDATES]
        return keep

    def pick(self, query: np.ndarray, seed: int) -> int:
        """The entry variation ``seed`` starts from."""
        cands = self.candidates(query)
        return int(cands[seed % len(cands)])

    def index(self, entry_id: str) -> int:
        if entry_id not in self._by_id:
            raise LibraryError(f"library has no recording {entry_id!r}")
        return self._by_id[entry_id]

    # ------------------------------------------------------------------------------- audio
    def x0(self, k: int, num_frames: int, *, seam: int = 0, tile_all: bool = False) -> np.ndarray:
        """(M, num_frames) float64 diffusion-space mel of entry k: cropped, tiled or floor-padded.

        ``seam`` = 0 (files made before seams): textures tiled end to start, other recordings padded with
        silence. ``seam`` > 0 (frames): what is tiled is first made a loop with that crossfade, so the repeats
        join without a cut, and recordings cut at the window (wind, a forest: longer takes) go on too instead
        of falling silent; short one-shots are still padded. ``tile_all``: tile whatever the recording is (the
        start of a loop runs on into itself).
        """
        e = self.entries[k]
        q = self.mels[:, self.offsets[k] : self.offsets[k + 1]]
        x = self.lo + q.astype(np.float64) * self.step  # (M, T_k)
        tile = e.loops or tile_all or (seam > 0 and e.frames >= self.window)
        return fit_frames(x, num_frames, tile, self.lo, seam=seam)


@functools.lru_cache(maxsize=2)
def shared_library(path: Path, sha256: str) -> Library:
    """One read-only Library per file and checksum, shared by every pipeline (engine workers) that opens it."""
    return Library.load(path)


def fit_frames(x: np.ndarray, num_frames: int, tile: bool, floor: float, seam: int = 0) -> np.ndarray:
    """Crop x (M, T) to num_frames, or extend it by repeating it (tile) or with the silence floor.

    ``seam`` > 0: before tiling, x becomes a loop of T - seam frames, its last ``seam`` frames crossfaded
    (linearly: log-mels are levels) into its head (at most half of it), so the repeats join without a cut.
    """
    T = x.shape[1]
    if num_frames <= T:
        return x[:, :num_frames].copy()
    if tile:
        if seam > 0 and T >= 2:
            x = crossfade_loop(x.T, min(seam, T // 2), equal_power=False).T  # (M, T - seam)
            T = x.shape[1]
        return np.tile(x, (1, -(-num_frames // T)))[:, :num_frames]
    return np.pad(x, ((0, 0), (0, num_frames - T)), constant_values=floor)


def is_texture(x: np.ndarray, config: MelConfig) -> bool:
    """Whether a diffusion-space mel (M, T) keeps its level to the end (rain, engines) instead of decaying."""
    if x.shape[1] < 8:
        return False
    log_mel = x * config.norm_std + config.norm_mean
    level = np.log(np.sum(np.exp(log_mel), axis=0))  # (T,) natural log of summed mel magnitude
    drop_nats = LOOP_DROP_DB / 20.0 * np.log(10.0)
    return bool(np.median(level[-(x.shape[1] // 4) :]) >= np.median(level) - drop_nats)
