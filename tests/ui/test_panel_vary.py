"""Start sound ("Vary a sound…", drop, V) and the Strength control, through the real engine + tiny bundle."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from tests.ui.panel_helpers import generate
from ui import main_window as main_window_module
from ui.controls import NO_START_SOUND


def write_wav(path: Path, seconds: float = 0.7) -> Path:
    n = int(seconds * 48000)
    x = 0.5 * np.random.default_rng(5).standard_normal(n) * np.exp(-np.arange(n) / 4800)
    sf.write(path, x, 48000, subtype="PCM_16")
    return path


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "my door.wav")


@pytest.fixture
def requests(window, monkeypatch) -> list:
    """Every GenerateRequest the window queues."""
    seen: list = []
    queue = window.controller.generate
    monkeypatch.setattr(window.controller, "generate", lambda request: (seen.append(request), queue(request))[1])
    return seen


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_strength_box_auto_means_none(window):
    c = window.controls
    assert c.strength.text() == "auto" and c.strength_value() is None and c.settings()["strength"] is None
    c.strength.setValue(0.5)
    assert c.strength_value() == 0.5 and c.settings()["strength"] == 0.5
    c.set_strength(None)
    assert c.strength.text() == "auto" and c.strength_value() is None
    c.strength.setValue(3.0)
    assert c.strength_value() == 1.0  # the box holds (0, 1]


def test_vary_a_sound_builds_the_request_and_records_the_init(qtbot, window, wav, requests, monkeypatch):
    monkeypatch.setattr(main_window_module.QFileDialog, "getOpenFileName", lambda *a, **k: (str(wav), "Sounds (*.wav)"))
    c = window.controls
    assert c.init_label.text() == NO_START_SOUND and not c.clear_init_btn.isVisibleTo(c)
    qtbot.mouseClick(c.vary_btn, Qt.MouseButton.LeftButton)
    assert c.init_audio == wav and c.init_label.text() == "my door.wav" and c.clear_init_btn.isVisibleTo(c)
    assert c.duration.value() == pytest.approx(0.7)  # the sound's length
    c.strength.setValue(0.5)
    c.variations.setValue(2)
    variations = generate(qtbot, window, "door slam")
    (request,) = requests
    assert (request.init_audio, request.strength, request.duration) == (wav, 0.5, pytest.approx(0.7))
    for v in variations:
        assert (v.recipe["strength"], v.recipe["init_sha256"]) == (0.5, sha256(wav))
        assert v.recipe["init_path"] == str(wav.resolve())


def test_auto_strength_with_a_start_sound_is_the_init_default(qtbot, window, wav, requests):
    assert window.set_start_sound(wav)
    window.controls.variations.setValue(1)
    (v,) = generate(qtbot, window, "door slam")
    assert requests[0].strength is None and requests[0].init_audio == wav
    assert v.recipe["strength"] == 0.6  # INIT_STRENGTH


def test_clear_goes_back_to_prompt_only(qtbot, window, wav, requests):
    c = window.controls
    window.set_start_sound(wav)
    qtbot.mouseClick(c.clear_init_btn, Qt.MouseButton.LeftButton)
    assert c.init_audio is None and c.init_label.text() == NO_START_SOUND and not c.clear_init_btn.isVisibleTo(c)
    c.variations.setValue(1)
    (v,) = generate(qtbot, window, "door slam")
    assert (requests[0].init_audio, requests[0].strength) == (None, None)
    assert "init_sha256" not in v.recipe and "strength" not in v.recipe  # from noise: left out of the recipe


def test_dropping_a_wav_onto_the_window_makes_it_the_start_sound(window, wav):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(wav))])
    event = QDropEvent(
        QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(event)
    assert window.controls.init_audio == wav and window.controls.init_label.text() == "my door.wav"
    assert "my door.wav" in window.status_label.text()


def test_unreadable_sound_is_refused_and_keeps_the_previous_one(window, wav, tmp_path):
    window.set_start_sound(wav)
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF not really")
    assert not window.set_start_sound(bad)
    assert "broken.wav: not a readable sound file" in window.controls.error.text()
    assert window.controls.init_audio == wav


def test_regenerate_replays_start_sound_and_strength(qtbot, window, wav, requests):
    c = window.controls
    window.set_start_sound(wav)
    c.strength.setValue(0.35)
    c.variations.setValue(1)
    (v,) = generate(qtbot, window, "door slam")
    c.clear_init_audio()
    c.set_strength(None)
    with qtbot.waitSignal(window.generation_done, timeout=30000):
        window.regenerate(v, same_seed=True)
    assert (requests[-1].init_audio, requests[-1].strength, requests[-1].seed) == (wav.resolve(), 0.35, v.seed)
    c.apply_recipe(v.recipe)  # history → settings
    assert (c.init_audio, c.strength_value()) == (wav.resolve(), 0.35)


def test_v_varies_the_selected_take(qtbot, window):
    window.controls.variations.setValue(2)
    variations = generate(qtbot, window, "metal impact")
    window.results.setFocus()
    window.results.setCurrentRow(1)
    qtbot.keyClick(window.results, Qt.Key.Key_V)
    assert window.controls.init_audio == variations[1].path
    assert window.controls.init_label.text() == variations[1].path.name


def test_start_row_says_when_prompts_start_from_the_bundle_library(qtbot, themed_app):
    from sfxgen.bundle import Defaults
    from ui.controls import LIBRARY_START, ControlPanel

    c = ControlPanel()
    qtbot.addWidget(c)
    c.apply_defaults(Defaults(strength=0.85), library_entries=1791)
    assert c.init_label.text() == LIBRARY_START and "1791 recordings" in c.init_label.toolTip()
    assert "else 0.85 for this bundle" in c.strength.toolTip()
    c.apply_defaults(Defaults(strength=0.85), library_entries=0)  # a bundle without a library: from noise
    assert c.init_label.text() == NO_START_SOUND and "else 1 for this bundle" in c.strength.toolTip()
