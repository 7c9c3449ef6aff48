"""The Loop control (off, or a crossfade in ms) and the stereo box, through the real engine + tiny bundle."""

from __future__ import annotations

from sfxgen.wavfile import read_wav_metadata
from tests.ui.panel_helpers import generate


def test_loop_box_reads_off_and_gives_a_crossfade(window):
    c = window.controls
    assert c.loop.text() == "off" and c.settings()["loop_ms"] == 0.0
    c.loop.setValue(500.0)
    assert c.settings()["loop_ms"] == 500.0
    c.loop.setValue(20_000.0)
    assert c.loop.value() == 10_000.0  # the finishing's limit


def test_loop_takes_are_seamless_loops_and_their_recipe_comes_back(qtbot, window):
    c = window.controls
    c.duration.setValue(1.0)
    c.variations.setValue(1)
    c.loop.setValue(300.0)
    (v,) = generate(qtbot, window, "heavy rain")
    meta = read_wav_metadata(v.path)
    assert meta.frames == 48000 and meta.loop == (0, 47999)
    assert v.recipe["finish"]["loop_crossfade_ms"] == 300.0
    row = window.results.itemWidget(window.results.item(0))
    assert "· loop</span>" in row.title.text()  # the take says it loops
    c.loop.setValue(0.0)
    c.apply_recipe(v.recipe)  # history -> settings
    assert c.loop.value() == 300.0
    with qtbot.waitSignal(window.generation_done, timeout=30000) as blocker:
        c.loop.setValue(0.0)  # the take's own recipe wins over the box
        window.regenerate(v, same_seed=True)
    (again,) = blocker.args[0]
    assert read_wav_metadata(again.path).loop == (0, 47999)


def test_a_crossfade_longer_than_the_take_is_refused_with_what_to_fix(qtbot, window):
    c = window.controls
    c.duration.setValue(0.5)
    c.loop.setValue(900.0)
    c.prompt.setText("wind")
    with qtbot.waitSignal(window.generation_failed, timeout=30000) as failed:
        window.generate()
    assert "loop crossfade (900 ms) is longer than the sound (0.5 s)" in failed.args[0]
    assert failed.args[0] in c.error.text() and c.generate_btn.isEnabled()


def test_stereo_takes_are_stereo_and_keep_it_when_regenerated(qtbot, window):
    c = window.controls
    c.duration.setValue(0.5)
    c.variations.setValue(1)
    assert c.settings()["channels"] == 1
    c.stereo.setChecked(True)
    (v,) = generate(qtbot, window, "wind")
    assert read_wav_metadata(v.path).channels == 2 and v.recipe["channels"] == 2
    row = window.results.itemWidget(window.results.item(0))
    assert "· stereo</span>" in row.title.text()
    c.stereo.setChecked(False)
    with qtbot.waitSignal(window.generation_done, timeout=30000) as blocker:
        window.regenerate(v, same_seed=True)  # the take's own channels
    assert read_wav_metadata(blocker.args[0][0].path).channels == 2
    c.apply_recipe(v.recipe)  # history -> settings
    assert c.stereo.isChecked()
