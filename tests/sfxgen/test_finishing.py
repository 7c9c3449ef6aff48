"""Finishing: resampling, DC, fades, peak ceiling, LUFS target (BS.1770), true peak, short clips."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
import pytest

from sfxgen.finishing import BitDepth, FinishSpec, finish, integrated_loudness, true_peak


def noise(seconds: float, sr: int = 16000, seed: int = 0, scale: float = 0.1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(int(seconds * sr)) * scale


def test_resample_length_and_rates():
    a = finish(noise(1.0), 16000, FinishSpec())
    assert a.sample_rate == 48000 and abs(a.frames - 48000) <= 1
    b = finish(noise(1.0), 16000, FinishSpec(sample_rate=44100))
    assert b.sample_rate == 44100 and abs(b.frames - 44100) <= 1


def test_sine_survives_resampling():
    sr = 16000
    t = np.arange(sr) / sr
    a = finish(0.5 * np.sin(2 * np.pi * 1000 * t), sr, FinishSpec(fade_in_ms=0, fade_out_ms=0))
    spec = np.abs(np.fft.rfft(a.samples[4800:-4800]))
    freqs = np.fft.rfftfreq(a.frames - 9600, 1 / 48000)
    assert abs(freqs[np.argmax(spec)] - 1000) < 2


def test_peak_ceiling_default_minus_one():
    a = finish(noise(1.0, scale=3.0), 16000, FinishSpec())  # input way over full scale
    assert abs(np.max(np.abs(a.samples)) - 10 ** (-1 / 20)) < 1e-9
    assert a.peak_dbfs == pytest.approx(-1.0, abs=1e-6)
    assert a.true_peak_dbtp >= a.peak_dbfs - 1e-9


def test_dc_removed():
    x = noise(2.0) + 0.3
    a = finish(x, 16000, FinishSpec(fade_in_ms=0, fade_out_ms=0))
    assert abs(a.samples.mean()) < 1e-3 * np.max(np.abs(a.samples))
    kept = finish(x, 16000, FinishSpec(remove_dc=False, fade_in_ms=0, fade_out_ms=0, peak_dbfs=0.0))
    assert kept.samples.mean() > 0.2  # without DC removal the offset stays


def test_fades_start_and_end_near_zero():
    a = finish(noise(1.0, scale=0.5) + 0.0, 16000, FinishSpec(fade_in_ms=10, fade_out_ms=50))
    peak = np.max(np.abs(a.samples))
    assert abs(a.samples[0]) < 0.01 * peak and abs(a.samples[-1]) < 0.01 * peak


def test_loudness_target_measured_by_pyloudnorm():
    a = finish(noise(4.0), 16000, FinishSpec(loudness_lufs=-30.0))
    independent = pyloudnorm.Meter(48000).integrated_loudness(a.samples)
    assert independent == pytest.approx(-30.0, abs=0.05)
    assert a.lufs == pytest.approx(-30.0, abs=0.05)
    assert a.loudness_range is not None and a.max_short_term_lufs is not None and a.max_momentary_lufs is not None


def test_loudness_target_never_breaks_ceiling():
    a = finish(noise(2.0), 16000, FinishSpec(loudness_lufs=-1.0, peak_dbfs=-1.0))  # impossible target for noise
    assert np.max(np.abs(a.samples)) <= 10 ** (-1 / 20) + 1e-12
    assert a.lufs < -1.0


def test_short_clip_loudness_none_but_target_applied():
    x = noise(0.25)  # below one 400 ms BS.1770 block
    a = finish(x, 16000, FinishSpec(loudness_lufs=-24.0, peak_dbfs=0.0))
    assert a.lufs is None and a.loudness_range is None  # undefined by BS.1770, reported as None
    tiled = np.tile(a.samples, 3)
    assert pyloudnorm.Meter(48000).integrated_loudness(tiled) == pytest.approx(-24.0, abs=0.3)


def test_silence_does_not_crash():
    a = finish(np.zeros(8000), 16000, FinishSpec(loudness_lufs=-23.0))
    assert a.peak_dbfs == -math.inf and a.lufs is None and not np.any(a.samples)


def test_trim_silence():
    x = np.concatenate([np.zeros(16000), noise(0.5), np.zeros(16000)])
    a = finish(x, 16000, FinishSpec(trim_silence=True))
    assert 0.5 <= a.duration <= 0.62  # the sound plus the DC high-pass tail above -60 dB, not 1.5 s


def test_true_peak_exceeds_sample_peak_for_intersample_peaks():
    sr = 48000
    n = np.arange(4800)
    x = np.sin(np.pi / 2 * n + np.pi / 4) * 0.5  # fs/4 sine sampled at +-45 deg: true peak 3 dB over samples
    assert true_peak(x, sr) == pytest.approx(20 * np.log10(0.5), abs=0.1)
    assert 20 * np.log10(np.max(np.abs(x))) == pytest.approx(20 * np.log10(0.5) - 3.01, abs=0.05)


def test_stereo_and_bad_input():
    a = finish(np.stack([noise(1.0), noise(1.0, seed=1)], axis=1), 16000)
    assert a.samples.shape[1] == 2 and a.channels == 2
    with pytest.raises(ValueError, match=r"NaN"):
        finish(np.array([0.0, np.nan, 0.1]), 16000)
    with pytest.raises(ValueError, match=r"shape"):
        finish(np.zeros((10, 5)), 16000)
    with pytest.raises(ValueError, match=r"sample_rate"):
        FinishSpec(sample_rate=12345)
    with pytest.raises(ValueError, match=r"bit_depth"):
        FinishSpec(bit_depth="pcm12")
    assert FinishSpec(bit_depth="float32").bit_depth is BitDepth.FLOAT32
    assert FinishSpec.from_dict(FinishSpec(loudness_lufs=-20.0).to_dict()) == FinishSpec(loudness_lufs=-20.0)
    with pytest.raises(ValueError, match=r"unknown"):
        FinishSpec.from_dict({"gain": 3})


def test_integrated_loudness_none_for_short():
    assert integrated_loudness(noise(0.3, sr=48000), 48000) is None
    assert integrated_loudness(noise(1.0, sr=48000), 48000) is not None


def test_loop_finish_has_no_fades_and_is_marked():
    a = finish(noise(2.5, scale=0.5), 16000, FinishSpec(loop_crossfade_ms=500.0, fade_in_ms=50, fade_out_ms=50))
    assert a.loop and a.frames == 2 * 48000
    peak = np.max(np.abs(a.samples))
    assert np.abs(a.samples[:48]).max() > 0.05 * peak and np.abs(a.samples[-48:]).max() > 0.05 * peak
    assert not finish(noise(1.0), 16000).loop


def test_loop_spec_is_checked_and_recorded_only_for_loops():
    with pytest.raises(ValueError, match=r"loop_crossfade_ms -1.0 must be in \[0, 10000\] ms"):
        FinishSpec(loop_crossfade_ms=-1.0)
    with pytest.raises(ValueError, match=r"cannot have its silence trimmed"):
        FinishSpec(loop_crossfade_ms=500.0, trim_silence=True)
    assert "loop_crossfade_ms" not in FinishSpec().to_dict()  # recipes of one-shots read as before
    spec = FinishSpec(loop_crossfade_ms=250.0)
    assert FinishSpec.from_dict(spec.to_dict()) == spec
