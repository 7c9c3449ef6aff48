"""sfxgen.library: quantised recordings, nearest-caption search, crop / tile / pad, the file format."""

from __future__ import annotations

import numpy as np
import pytest

from sfxgen.library import MARGIN, MAX_CANDIDATES, Library, LibraryError, fit_frames, is_texture
from sfxgen.mel import log_mel, normalize
from tests.helpers.tiny_bundle import TINY_MEL

M = TINY_MEL.n_mels


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _mel(wave: np.ndarray) -> np.ndarray:
    return normalize(log_mel(wave, TINY_MEL), TINY_MEL)  # (M, T)


def _library(mels: list[np.ndarray], embeds: np.ndarray, owner: list[int]) -> Library:
    meta = [{"id": f"clip{k}", "category": f"cat{k}", "licence": "CC0-1.0", "source": "test"} for k in range(len(mels))]
    return Library.from_mels(mels, embeds, np.array(owner), meta, TINY_MEL)


def test_quantised_mels_round_trip_within_half_a_step(tmp_path):
    rng = np.random.default_rng(0)
    mels = [_mel(rng.standard_normal(n) * 0.3) for n in (900, 2000, 3000)]
    lib = _library(mels, np.eye(3, 4), [0, 1, 2])
    path = tmp_path / "library.npz"
    lib.save(path)
    loaded = Library.load(path)
    assert [e.id for e in loaded.entries] == ["clip0", "clip1", "clip2"]
    assert [e.frames for e in loaded.entries] == [m.shape[1] for m in mels]
    for k, m in enumerate(mels):
        x = loaded.x0(k, m.shape[1])
        assert x.shape == m.shape
        assert np.max(np.abs(x - m)) <= loaded.step / 2 + 1e-9  # 8-bit: at most half a quantisation step off
    assert loaded.step < 0.03  # under 0.03 diffusion units = 0.075 nats = 0.65 dB per bin


def test_fit_frames_crops_tiles_textures_and_pads_one_shots_with_the_floor():
    x = np.arange(2 * 5, dtype=np.float64).reshape(2, 5)
    assert np.array_equal(fit_frames(x, 3, tile=False, floor=-9.0), x[:, :3])
    tiled = fit_frames(x, 12, tile=True, floor=-9.0)
    assert np.array_equal(tiled, np.concatenate([x, x, x[:, :2]], axis=1))
    padded = fit_frames(x, 8, tile=False, floor=-9.0)
    assert np.array_equal(padded[:, :5], x) and np.all(padded[:, 5:] == -9.0)


def test_starts_tile_textures_and_long_takes_with_a_seam_and_pad_short_one_shots():
    rng = np.random.default_rng(2)
    decay = rng.standard_normal(1600) * np.exp(-np.arange(1600) / 200)  # a short one-shot: no texture
    steady = rng.standard_normal(3200) * 0.3  # a texture
    fading = rng.standard_normal(3200) * np.exp(-np.arange(3200) / 800)  # as long as the window, not a texture
    lib = _library([_mel(decay), _mel(steady), _mel(fading)], np.eye(3, 4), [0, 1, 2])
    assert [e.loops for e in lib.entries] == [False, True, False] and lib.window == lib.entries[2].frames
    T, W, seam = lib.entries[0].frames, lib.window, 3
    # before seams ("cut"): textures repeat end to start, everything else runs into silence
    assert np.all(lib.x0(0, 2 * T)[:, T:] == lib.lo) and np.all(lib.x0(2, 2 * W)[:, W:] == lib.lo)
    np.testing.assert_array_equal(lib.x0(1, 2 * W)[:, W:], lib.x0(1, W))
    # with a seam: a short one-shot still pads, a texture and a take cut at the window go on, joined by a crossfade
    assert np.all(lib.x0(0, 2 * T, seam=seam)[:, T:] == lib.lo)
    for k in (1, 2):
        P = W - seam  # a loop of W - seam frames, repeated
        looped, x = lib.x0(k, 2 * W, seam=seam), lib.x0(k, W)
        np.testing.assert_array_equal(looped[:, P : 2 * P], looped[:, :P])
        np.testing.assert_allclose(looped[:, 0], x[:, P] * 5 / 6 + x[:, 0] / 6)  # the head fades in from the tail
    # the start of a loop tiles whatever it is
    looped = lib.x0(0, 2 * T, seam=seam, tile_all=True)
    np.testing.assert_array_equal(looped[:, T - seam : 2 * (T - seam)], looped[:, : T - seam])


def test_steady_sounds_are_textures_and_decaying_ones_are_not():
    rng = np.random.default_rng(1)
    n = TINY_MEL.sample_rate  # 1 s
    steady = rng.standard_normal(n) * 0.3
    decaying = steady * np.exp(-np.arange(n) / (0.08 * n))  # -54 dB by the end
    assert is_texture(_mel(steady), TINY_MEL)
    assert not is_texture(_mel(decaying), TINY_MEL)
    lib = _library([_mel(steady), _mel(decaying)], np.eye(2, 3), [0, 1])
    assert [e.loops for e in lib.entries] == [True, False]


def test_candidates_are_the_best_caption_and_those_within_the_margin():
    q = _unit(np.array([1.0, 0.0, 0.0]))
    # cosines to q: entry 0 has two captions (0.2, 0.95: the best counts), 1: 0.9, 2: 0.5, 3: just outside the margin
    cos = [0.2, 0.95, 0.9, 0.5, 0.95 - MARGIN - 0.01]
    embeds = np.array([[c, np.sqrt(1 - c * c), 0.0] for c in cos])
    mels = [np.zeros((M, 4)) for _ in range(4)]
    lib = _library(mels, embeds, [0, 0, 1, 2, 3])
    assert np.allclose(lib.scores(q), [0.95, 0.9, 0.5, 0.95 - MARGIN - 0.01], atol=1e-3)  # float16 embeddings
    assert lib.candidates(q).tolist() == [0, 1]
    # consecutive seeds cycle through the candidates; a seed's pick does not depend on anything else
    assert [lib.pick(q, s) for s in range(5)] == [0, 1, 0, 1, 0]


def test_candidates_are_capped():
    n = MAX_CANDIDATES + 4
    lib = _library([np.zeros((M, 4)) for _ in range(n)], np.tile([1.0, 0.0], (n, 1)), list(range(n)))
    cands = lib.candidates(np.array([1.0, 0.0]))
    assert cands.tolist() == list(range(MAX_CANDIDATES))  # equal scores keep library order


def test_unreadable_or_inconsistent_files_raise_library_error(tmp_path):
    bad = tmp_path / "library.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(LibraryError, match="not a readable sound library"):
        Library.load(bad)
    with pytest.raises(LibraryError, match="offsets"):
        Library(np.zeros((M, 10), np.uint8), np.array([0, 4]), 0.0, 1.0, np.eye(2), np.array([0, 1]), [])
    lib = _library([np.zeros((M, 4))], np.eye(1, 2), [0])
    with pytest.raises(LibraryError, match="no recording"):
        lib.index("missing")
