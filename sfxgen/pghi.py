"""Phase Gradient Heap Integration (PGHI): a phase for an STFT magnitude, where Griffin-Lim starts.

Průša, Balazs & Søndergaard 2017, "A noniterative method for reconstruction of phase from STFT
magnitude". For a Gaussian window exp(-pi t^2 / lam) the phase's gradient follows from the
log-magnitude's. With hop a, an M-point FFT, frame n and bin m (phase referred to the window centre):

    dphi/dn = 2 pi a m / M + (a M / lam) d(log s)/dm    (instantaneous frequency, per hop)
    dphi/dm = -(lam / (a M)) d(log s)/dn                (local group delay, per bin)

The phase is integrated along these (trapezoidal steps between neighbouring bins) outwards from the
loudest bin, so a partial keeps its frequency from frame to frame and a click stays one click across
bins: what Griffin-Lim from a random phase smears. A Hann window of length L behaves like the
Gaussian with lam = 0.25645 L^2 (the paper's Table I). Bins more than ``tol_db`` under the loudest
get no estimate (NaN); the caller fills them.

The paper walks the bins with a max-heap, loudest first, each taking its phase from the neighbour
that reached it. Here the paths are a maximum spanning tree of the grid, an edge weighing as its
quieter bin (scipy's, in C), rooted at each island's loudest bin, and the steps are summed down it by
pointer jumping (numpy): the same loud-to-quiet paths without a Python loop per bin. On 45 validation
clips it matched the heap walk (log-mel L1 after Griffin-Lim 0.0844 vs 0.0845) at three times its
speed (a 30 s dense texture on one core: 1.7 s vs 5.5 s, about 350 MB at its peak).

Hand-written: the Python packages that do PGHI (pghipy, tifresi, both 0.1.x) need numba (tifresi also
librosa and ltfatpy) and their own Gaussian-window STFTs.
"""

from __future__ import annotations

import enum
import math

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

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

    n = F * T
    flat = log_s.ravel()
    top = float(flat.max())
    if not math.isfinite(top):  # NaN in the magnitude: no estimate anywhere
        return np.full((F, T), np.nan)
    on = flat >= floor
    # phase steps along the grid (trapezoidal): bin i -> i + 1 (next frame), bin i -> i + T (next bin)
    to_next_frame = np.zeros((F, T))
    to_next_frame[:, :-1] = 0.5 * (step_t[:, :-1] + step_t[:, 1:])
    to_next_bin = np.zeros((F, T))
    to_next_bin[:-1] = 0.5 * (step_f[:-1] + step_f[1:])
    # The grid's edges between bins above the floor. Kruskal keeps the lightest: an edge weighs how far its
    # quieter bin is under the loudest (+1: csgraph reads 0 as no edge). A virtual node n joins every island
    # through its loudest bin, with weights above every grid edge's, so each island hangs from that bin.
    grid = np.arange(n, dtype=np.int32).reshape(F, T)  # int32 indices: half the memory of a 30 s graph
    src = np.concatenate([grid[:, :-1].ravel(), grid[:-1].ravel()])
    dst = np.concatenate([grid[:, 1:].ravel(), grid[1:].ravel()])
    keep = on[src] & on[dst]
    src, dst = src[keep], dst[keep]
    islands = np.flatnonzero(on).astype(np.int32)
    weight = np.concatenate([top + 1.0 - np.minimum(flat[src], flat[dst]), (top - floor + 2.0) + (top - flat[islands])])
    rows = np.concatenate([src, np.full(islands.size, n, dtype=np.int32)])
    cols = np.concatenate([dst, islands])
    tree = minimum_spanning_tree(coo_matrix((weight, (rows, cols)), shape=(n + 1, n + 1)).tocsr())
    _, parent = breadth_first_order(tree, n, directed=False, return_predecessors=True)  # < 0: no parent
    # each reached bin's step from its parent; 0 from the virtual node (an island's loudest bin has phase 0)
    reached = np.flatnonzero(parent[:n] >= 0)  # (R,)
    up = parent[reached]
    d = reached - up
    fwd_t, fwd_f = np.append(to_next_frame.ravel(), 0.0), np.append(to_next_bin.ravel(), 0.0)  # (n + 1,)
    along_t = (np.abs(d) == 1) & (T > 1) & (up < n)  # with one frame, neighbours 1 apart are bins
    along_f = ~along_t & (up < n)
    inc = np.where(d > 0, fwd_t[up], -fwd_t[reached]) * along_t + np.where(d > 0, fwd_f[up], -fwd_f[reached]) * along_f
    # pointer jumping: acc[i] sums the steps from anc[i] down to i; log2(depth) passes reach the root
    acc = np.zeros(n + 1)
    acc[reached] = inc
    anc = np.arange(n + 1)
    anc[reached] = up
    while True:
        nxt = anc[anc]
        if np.array_equal(nxt, anc):
            break
        acc += acc[anc]
        anc = nxt
    out = np.full(n, np.nan)
    out[reached] = acc[reached]
    out = out.reshape(F, T)
    return out + np.pi * bins  # window centre -> frame start: a factor exp(i pi m) = (-1)^m
