"""Generate, progress, cancel, failure recovery and keyboard flow through the real engine + tiny bundle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import wavinfo
from PySide6.QtCore import Qt

from sfxgen.request import GenerateRequest
from sfxgen.wavfile import read_wav_metadata
from tests.ui.panel_helpers import generate


def test_generate_reaches_100_percent_and_lists_files(qtbot, window):
    seen: list[float] = []
    window.controller.worker.progress.connect(lambda _tok, p: seen.append(p))
    window.controls.variations.setValue(3)
    window.controls.seed.setValue(1234)
    window.controls.seed_lock.setChecked(True)
    variations = generate(qtbot, window, "dog barking")
    assert [v.seed for v in variations] == [1234, 1235, 1236]
    assert window.progress.value() == 100
    assert seen and max(seen) == 1.0 and seen == sorted(seen)  # monotone, reaches 1
    assert window.results.count() == 3
    for v in variations:
        info = sf.info(str(v.path))
        assert info.samplerate == 48000 and v.path.is_file()
        assert v.recipe["prompt"] == "dog barking" and v.recipe["seed"] == v.seed
    assert not window.controls.cancel_btn.isEnabled() and window.controls.generate_btn.isEnabled()
    assert len(window.history) == 3
    assert window.controls.prompt_history()[0] == "dog barking"


def test_cancel_mid_run_with_escape(qtbot, window):
    w = window.controller.worker
    window.controls.prompt.setText("rain on a tin roof")
    fractions: list[float] = []
    w.progress.connect(lambda _t, p: fractions.append(p))
    out = window.out_dir
    with qtbot.waitSignal(window.generation_cancelled, timeout=30000):
        token = window.generate({"sampler": "ddpm", "steps": 1000, "variations": 1, "duration": 0.5})
        qtbot.waitUntil(lambda: any(0.0 < f < 1.0 for f in fractions), timeout=20000)
        assert window.controls.cancel_btn.isEnabled()
        qtbot.keyClick(window.results, Qt.Key.Key_Escape)  # Esc cancels, wherever the focus is
    assert token is not None
    assert max(fractions) < 1.0
    assert window.token is None and window.controls.generate_btn.isEnabled()
    assert "Cancelled" in window.status_label.text()
    assert not list(out.rglob("*.wav"))  # nothing half-written
    assert len(window.history) == 0


def test_failing_job_shows_error_and_next_job_runs(qtbot, window, tmp_path):
    blocker_file = tmp_path / "not_a_folder"
    blocker_file.write_text("a file where the output folder should be")
    bad = GenerateRequest(prompt="glass breaking", variations=1, duration=0.5, seed=7, out_dir=blocker_file / "sub")
    with qtbot.waitSignal(window.generation_failed, timeout=30000) as failed:
        window.submit(bad)
    assert failed.args[0]
    assert window.last_error.startswith("Generation failed")
    assert failed.args[0] in window.controls.error.text()
    assert window.controls.generate_btn.isEnabled()
    # an invalid request (refused at submit) reports the same way
    with qtbot.waitSignal(window.generation_failed, timeout=30000) as failed2:
        window.submit(GenerateRequest(prompt="x", sampler="no-such-sampler", out_dir=tmp_path))
    assert "sampler" in failed2.args[0].lower()
    variations = generate(qtbot, window, "glass breaking")  # the next job runs
    assert all(v.path.is_file() for v in variations)
    assert window.controls.error.text() == ""


def test_keyboard_numbers_select_and_typing_still_types(qtbot, window):
    generate(qtbot, window, "footsteps on gravel")
    messages: list[str] = []
    window.player.message.connect(messages.append)
    window.results.setFocus()
    qtbot.keyClick(window.results, Qt.Key.Key_3)
    assert window.results.currentRow() == 2
    assert messages and "No audio output" in messages[-1]  # play attempted, fails soft
    window.controls.prompt.setFocus()
    window.controls.prompt.clear()
    qtbot.keyClicks(window.controls.prompt, "take 2 ")
    assert window.controls.prompt.text() == "take 2 "  # digits and space type, not play
    assert window.results.currentRow() == 2


def test_regenerate_same_seed_and_more_like_this(qtbot, window):
    window.controls.variations.setValue(2)
    first = generate(qtbot, window, "wind howling")
    v = first[1]
    with qtbot.waitSignal(window.generation_done, timeout=30000) as same:
        window.regenerate(v, same_seed=True)
    again = same.args[0]
    assert [x.seed for x in again] == [v.seed] and again[0].path != v.path
    with qtbot.waitSignal(window.generation_done, timeout=30000) as more:
        window.more_like_this(v)
    seeds = [x.seed for x in more.args[0]]
    assert seeds == [max(x.seed for x in first) + 1, max(x.seed for x in first) + 2]
    assert all(x.prompt == "wind howling" for x in more.args[0])


def test_favourite_and_ucs_rename(qtbot, window, monkeypatch):
    from ui import main_window

    v = generate(qtbot, window, "door slam")[0]
    window.toggle_favourite(v)
    assert window.history.get(v.history_id).favourite

    class Accept(main_window.RenameDialog):
        def exec(self) -> int:
            self.catid.setCurrentText("DOORWood")
            self.fxname.setText("Slam Heavy")
            self.creator.setText("SFXG")
            self.source.setText("PANEL")
            self.take.setValue(1)
            return 1

    monkeypatch.setattr(main_window, "RenameDialog", Accept)
    old = v.path
    before = read_wav_metadata(old)
    samples = sf.read(old, dtype="int32")[0]
    window.rename(v)
    assert v.path.name == "DOORWood_Slam Heavy_SFXG_PANEL_01.wav"
    assert v.path.is_file() and not old.exists()
    entry = window.history.get(v.history_id)
    assert entry.file == v.path and entry.tags["catid"] == "DOORWood" and entry.favourite
    # the renamed file carries the new UCS tags (read back by an independent reader), same audio and recipe
    info = wavinfo.WavInfoReader(str(v.path))
    user = {el.tag: el.text for el in info.ixml.raw_xml.find("./USER")}
    assert (user["CATID"], user["CATEGORY"], user["SUBCATEGORY"]) == ("DOORWood", "DOORS", "WOOD")
    assert (user["FXNAME"], user["SHORTID"], user["SHOW"]) == ("Slam Heavy", "SFXG", "PANEL")
    assert user["CATEGORYFULL"] == "DOORS-WOOD" and user["DESCRIPTION"] == before.tags.description
    assert info.bext.description == before.tags.description
    assert read_wav_metadata(v.path).recipe == before.recipe
    assert sf.read(v.path, dtype="int32")[0].tolist() == samples.tolist()
    assert Path(window.history_view.entries()[-1].file).name == v.path.name or any(
        e.file == v.path for e in window.history_view.entries()
    )


def test_row_names_the_library_recording_a_take_started_from(qtbot, tmp_path):
    from ui.results import Variation, VariationRow, source_recording

    wav = tmp_path / "take.wav"
    sf.write(wav, np.zeros(4800), 48000, subtype="PCM_24")
    recipe = {
        "prompt": "footsteps on gravel",
        "seed": 3,
        "source_clip": "gravel_2-3140ff0c",
        "source_licence": "GPL-2+",
    }
    row = VariationRow(Variation(1, wav, 3, "footsteps on gravel", 0.1, 48000, recipe=recipe))
    qtbot.addWidget(row)
    assert row.title.text().startswith("footsteps on gravel  <span") and row.title.text().endswith("· GPL-2+</span>")
    assert "library recording gravel_2-3140ff0c (GPL-2+); its terms may apply" in row.meta.toolTip()
    assert "gravel_2-3140ff0c" in row.title.toolTip()
    plain = VariationRow(Variation(2, wav, 4, "a <b> & c", 0.1, 48000, recipe={"prompt": "x", "seed": 4}))
    qtbot.addWidget(plain)
    assert plain.title.text() == "a &lt;b&gt; &amp; c" and plain.meta.toolTip() == str(wav)
    assert source_recording(None) is None and source_recording({"source_clip": "c"}) == ("c", "licence unknown")
