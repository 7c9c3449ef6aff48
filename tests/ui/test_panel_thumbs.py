"""Thumbnails drawn with numpy: shapes and where the ink goes."""

from __future__ import annotations

import numpy as np

from ui.thumbs import colormap, spectrogram_rgba, waveform_rgba


def test_waveform_silence_is_only_the_zero_line():
    img = waveform_rgba(np.zeros(1000, np.float32), 100, 21)
    assert img.shape == (21, 100, 4) and img.dtype == np.uint8
    opaque_rows = np.nonzero(img[..., 3].max(axis=1))[0]
    assert opaque_rows.tolist() == [10]


def test_waveform_full_scale_reaches_top_and_bottom_and_quiet_half_does_not():
    x = np.concatenate([np.sign(np.sin(np.arange(4000) * 0.3)), 0.1 * np.sin(np.arange(4000) * 0.3)])
    img = waveform_rgba(x.astype(np.float32), 80, 41)
    loud, quiet = img[:, :40, 3], img[:, 40:, 3]
    assert loud[1].all() and loud[-2].all()  # reaches (almost) the edges
    assert not quiet[:15].any() and not quiet[-15:].any()


def test_spectrogram_puts_a_high_tone_above_a_low_tone():
    sr = 16000
    t = np.arange(sr) / sr
    low = np.sin(2 * np.pi * 200 * t).astype(np.float32)
    high = np.sin(2 * np.pi * 5000 * t).astype(np.float32)
    brightest = []
    for x in (low, high):
        img = spectrogram_rgba(x, sr, 50, 64)
        assert img.shape == (64, 50, 4)
        brightest.append(int(np.argmax(img[..., :3].astype(int).sum(axis=(1, 2)))))
    assert brightest[1] < brightest[0]  # row 0 is the top (high frequencies)


def test_colormap_is_dark_to_bright():
    c = colormap(np.array([0.0, 0.5, 1.0])).astype(int).sum(axis=1)
    assert c[0] < c[1] < c[2]
