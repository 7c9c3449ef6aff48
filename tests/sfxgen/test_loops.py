"""sfxgen.loops: the seam of a loop is as smooth as the sound, its level holds through the crossfade."""

from __future__ import annotations

import numpy as np
import pytest

from sfxgen.loops import crossfade_loop, make_loop, seam_step_db
from tests.sfxgen.test_finishing import noise


def test_loop_seam_is_as_smooth_as_the_sound():
    sr, k = 48000, 24000  # 0.5 s crossfade
    t = np.arange(3 * sr + k) / sr
    x = 0.5 * np.sin(2 * np.pi * 101.3 * t)  # 101.3 Hz: no whole number of periods in 3 s, so cutting clicks
    y = make_loop(x, sr, 500.0)
    assert y.shape == (3 * sr,)
    step = np.max(np.abs(np.diff(x)))  # the sine's largest sample-to-sample step
    assert abs(y[0] - y[-1]) <= 1.001 * step  # end -> start: one ordinary step
    assert abs(x[3 * sr - 1] - x[0]) > 20 * step  # cutting without the crossfade: a click (45 steps)
    np.testing.assert_array_equal(y[k:], x[k : 3 * sr])  # after the crossfade: the sound itself


def test_loop_crossfade_keeps_the_level_of_a_texture():
    sr = 16000
    x = noise(6.5, sr=sr, seed=3)
    y = make_loop(x, sr, 500.0)
    win = sr // 10  # 100 ms windows over the crossfade and over the rest
    fade = [np.sqrt(np.mean(y[i : i + win] ** 2)) for i in range(0, sr // 2, win)]
    rest = np.sqrt(np.mean(y[sr // 2 :] ** 2))
    assert max(abs(20 * np.log10(f / rest)) for f in fade) < 0.7  # equal power: no dip in the middle


def test_levels_crossfade_linearly_and_bad_lengths_are_refused():
    x = np.concatenate([np.full(6, 2.0), np.full(4, -2.0)])  # a level that steps from 2 to -2 (log-mel-like)
    y = crossfade_loop(x, 4, equal_power=False)
    np.testing.assert_allclose(y[:4], [-1.5, -0.5, 0.5, 1.5])  # linear from the tail's level to the head's
    assert y.shape == (6,)
    with pytest.raises(ValueError, match=r"crossfade 6 must be in 1 .. 5"):
        crossfade_loop(x, 6)
    with pytest.raises(ValueError, match=r"too short to loop"):
        make_loop(np.zeros(1), 16000, 500.0)


def test_seam_step_is_small_for_a_texture_and_the_whole_swell_for_a_fade():
    sr = 16000
    steady = make_loop(noise(4.5, sr=sr, seed=4), sr, 500.0)
    assert seam_step_db(steady, sr) < 0.5
    t = np.arange(4 * sr) / sr
    fading = noise(4.0, sr=sr, seed=5) * 10 ** (-20 * t / 4 / 20)  # 20 dB quieter at its end
    assert seam_step_db(fading, sr) == pytest.approx(20.0 * 3.75 / 4, abs=1.0)  # window centres 3.75 s apart
    assert seam_step_db(np.zeros(sr), sr) == 0.0
