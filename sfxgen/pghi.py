"""Phase Gradient Heap Integration (PGHI): a phase for an STFT magnitude, where Griffin-Lim starts.

Průša, Balazs & Søndergaard 2017, "A noniterative method for reconstruction of phase from STFT
magnitude". For a Gaussian window exp(-pi t^2 / lam) the phase's gradient follows from the
log-magnitude's. With hop a, an M-point FFT, frame n and bin m (phase referred to the window centre):

    dphi/dn = 2 pi a m / M + (a M / lam) d(log s)/dm    (instantaneous frequency, per hop)
    dphi/dm = -(lam / (a M)) d(log s)/dn                (local group delay, per bin)

The phase is integrated along these from the loudest bin outwards (a max-heap, trapezoidal steps),
so a partial keeps its frequency from frame to frame and a click stays one click across bins:
what Griffin-Lim from a random phase smears. A Hann window of length L behaves like the Gaussian
with lam = 0.25645 L^2 (the paper's Table I). Bins more than ``tol_db`` under the loudest get no
estimate (NaN); the caller fills them.

Hand-written: the Python packages that do this (pghipy, tifresi, both 0.1.x) need numba (tifresi
also librosa and ltfatpy) and their own Gaussian-window STFTs; the integration is a short heap walk.
"""

from __future__ import annotations

import enum
import heapq
import math

import numpy as np

from sfxgen.configs import MelConfig

HANN_LAMBDA = 0.25645  # lam / L^2 of the Gaussian equivalent to a Hann window of length L
TOL_DB = -60.0  # bins quieter than the loudest by more than this get no phase estimate
_CLIP_NATS = 5.0  # log-magnitude clipped this far under the tolerance floor, so derivatives near it stay sane


class PhaseInit(str, enum.Enum):
    """Griffin-Lim's initial phase."""

    PGHI = "pghi"  # phase gradient heap integration (this module): the default
    RANDOM = "random"  # fixed-seed uniform phase: what files written before PGHI used (their recipes omit it)


def pghi_phase(magnitude: np.ndarray, config: MelConfig, tol_db: float = TOL_DB) -> np.ndarray:
    """Linear magnitude (..., F, T) -> phase (..., F, T) in radians, NaN where under ``tol_db``.

    Referred like :func:`sfxgen.mel.stft` (each frame's FFT starts n_fft / 2 before its centre).
    """
    if magnitude.ndim > 2:
        flat = magnitude.reshape(-1, *magnitude.shape[-2:])
        return np.stack([pghi_phase(m, config, tol_db) for m in flat]).reshape(magnitude.shape)
    F, T = magnitude.shape
    a, M = config.hop_length, config.n_fft
    lam = HANN_LAMBDA * config.win_length**2
    log_s = np.log(np.maximum(magnitude, 1e-30))  # (F, T)
    floor = log_s.max() + tol_db * math.log(10) / 20
    log_c = np.maximum(log_s, floor - _CLIP_NATS)
    d_m = np.gradient(log_c, axis=0) if F > 1 else np.zeros_like(log_c)  # d log s / d bin
    d_n = np.gradient(log_c, axis=1) if T > 1 else np.zeros_like(log_c)  # d log s / d frame
    bins = np.arange(F)[:, None]
    step_t = (2 * np.pi * a / M) * bins + (a * M / lam) * d_m  # phase advance per hop   (F, T)
    step_f = -(lam / (a * M)) * d_n  # phase advance per bin   (F, T)

    # The heap walk runs on flat Python lists (element access on numpy arrays costs ~10x more) over the
    # grid padded by one bin all round, so a neighbour needs no bounds check: padding is never pending.
    W = T + 2
    pad = np.full((F + 2, W), -np.inf)
    pad[1:-1, 1:-1] = log_s
    flat = pad.ravel()
    by_rank = np.argsort(-flat, kind="stable")  # ((F+2)*W,) loudest first; the heap holds ranks (ints)
    rank = np.empty_like(by_rank)
    rank[by_rank] = np.arange(by_rank.size)
    half_t = np.zeros((F + 2, W))  # phase change from bin i to i + 1 (the next frame)
    half_t[1:-1, 1:-2] = 0.5 * (step_t[:, :-1] + step_t[:, 1:])
    half_f = np.zeros((F + 2, W))  # phase change from bin i to i + W (the next frequency bin)
    half_f[1:-2, 1:-1] = 0.5 * (step_f[:-1] + step_f[1:])
    key, order = rank.tolist(), by_rank.tolist()
    ht, hf = half_t.ravel().tolist(), half_f.ravel().tolist()
    phase = [math.nan] * flat.size
    todo = flat >= floor
    pending = bytearray(todo.astype(np.uint8).tobytes())  # 1: above the floor and not yet phased
    heap: list[int] = []
    push, pop = heapq.heappush, heapq.heappop
    for seed in order[: int(todo.sum())]:  # a new island starts at the loudest bin not reached yet
        if not pending[seed]:
            continue
        pending[seed] = 0
        phase[seed] = 0.0
        heap.append(key[seed])
        while heap:  # this loop is the cost of the whole function, hence unrolled over the neighbours
            i = order[pop(heap)]
            p = phase[i]
            if pending[i + 1]:
                pending[i + 1] = 0
                phase[i + 1] = p + ht[i]
                push(heap, key[i + 1])
            if pending[i - 1]:
                pending[i - 1] = 0
                phase[i - 1] = p - ht[i - 1]
                push(heap, key[i - 1])
            if pending[i + W]:
                pending[i + W] = 0
                phase[i + W] = p + hf[i]
                push(heap, key[i + W])
            if pending[i - W]:
                pending[i - W] = 0
                phase[i - W] = p - hf[i - W]
                push(heap, key[i - W])
    out = np.array(phase).reshape(F + 2, W)[1:-1, 1:-1]
    return out + np.pi * bins  # window centre -> frame start: a factor exp(i pi m) = (-1)^m
