"""The toolbar's file format and level: what the files are, kept by a take's regeneration, restored from history."""

from __future__ import annotations

import pyloudnorm
import pytest
import soundfile as sf

from sfxgen.finishing import BitDepth, FinishSpec
from tests.ui.panel_helpers import generate


def test_defaults_are_the_engines(window):
    assert window.delivery.finish_spec() == FinishSpec()  # 48 kHz, 24-bit, peak -1 dBFS
    assert window.delivery.finish_spec(500.0) == FinishSpec(loop_crossfade_ms=500.0)


def test_chosen_format_and_level_are_what_the_files_are(qtbot, window):
    d = window.delivery
    d.rate.setCurrentIndex(d.rate.findData(44100))
    d.depth.setCurrentIndex(d.depth.findData(BitDepth.PCM16))
    d.level.setCurrentIndex(d.level.findData(-23.0))
    window.controls.duration.setValue(1.0)
    window.controls.variations.setValue(1)
    (v,) = generate(qtbot, window, "heavy rain")
    info = sf.info(str(v.path))
    assert (info.samplerate, info.subtype, info.frames) == (44100, "PCM_16", 44100)
    x, sr = sf.read(v.path)
    lufs = pyloudnorm.Meter(sr).integrated_loudness(x)
    assert lufs == pytest.approx(-23.0, abs=0.1) or (lufs < -23.0 and abs(x).max() > 10 ** (-1.1 / 20))
    for box in (d.rate, d.depth, d.level):
        box.setCurrentIndex(0)  # back to 48 kHz / 24-bit / peak
    with qtbot.waitSignal(window.generation_done, timeout=30000) as blocker:
        window.regenerate(v, same_seed=True)  # the take's own format, not the toolbar's
    (again,) = blocker.args[0]
    assert sf.info(str(again.path)).samplerate == 44100
    assert (sf.read(again.path)[0] == x).all()


def test_history_brings_the_format_back_even_an_unlisted_level(window):
    d = window.delivery
    d.apply({"sample_rate": 44100, "bit_depth": "float32", "loudness_lufs": -20.0, "peak_dbfs": -1.0})
    assert d.finish_spec() == FinishSpec(sample_rate=44100, bit_depth="float32", loudness_lufs=-20.0)
    assert d.level.currentText() == "−20 LUFS"
    d.apply({"sample_rate": 48000, "bit_depth": "pcm24", "loudness_lufs": None})
    assert d.finish_spec() == FinishSpec()
    d.apply(None)  # recipes without one change nothing, nor do unreadable values
    d.apply({"sample_rate": "fast", "bit_depth": "pcm12", "loudness_lufs": "loud"})
    assert d.finish_spec() == FinishSpec()
