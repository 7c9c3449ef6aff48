"""Preset-pack render from the panel: progress view through the engine worker."""

from __future__ import annotations

import json

PACK = """
[library]
name = "Panel Test"
designer = "sfxgen"
creator_id = "SFXG"
source_id = "PANELTEST"
license = "CC0-1.0"

[defaults]
duration = 0.5
count = 3
batch = 3

[[sound]]
prompt = "door slam"
catid = "DOORWood"
fxname = "Slam"
keywords = ["door"]
seed = 100
"""


def test_render_dialog_renders_pack_with_progress(qtbot, window, tmp_path):
    pack = tmp_path / "pack.toml"
    pack.write_text(PACK)
    dlg = window.open_render_dialog()
    qtbot.addWidget(dlg)
    dlg.pack.setText(str(pack))
    dlg.out.setText(str(tmp_path / "lib"))
    values: list[int] = []
    dlg.bar.valueChanged.connect(values.append)
    with qtbot.waitSignal(dlg.render_done, timeout=30000) as done:
        dlg.start_render()
    assert done.args == ["finished"], dlg.log.toPlainText()
    assert dlg.bar.value() == 1000 and len(set(values)) >= 2
    wavs = sorted((tmp_path / "lib").rglob("*.wav"))
    assert [w.name for w in wavs] == [f"DOORWood_Slam_SFXG_PANELTEST_{i:02d}.wav" for i in (1, 2, 3)]
    assert "3 rendered" in dlg.log.toPlainText()
    manifest = json.loads(next((tmp_path / "lib").rglob("manifest.json")).read_text())
    assert manifest


def test_render_dialog_reports_a_broken_pack(qtbot, window, tmp_path):
    pack = tmp_path / "bad.toml"
    pack.write_text(PACK.replace("DOORWood", "NOTACATID"))
    dlg = window.open_render_dialog()
    qtbot.addWidget(dlg)
    dlg.pack.setText(str(pack))
    dlg.out.setText(str(tmp_path / "lib"))
    with qtbot.waitSignal(dlg.render_done, timeout=30000) as done:
        dlg.start_render()
    assert done.args == ["failed"]
    assert "NOTACATID" in dlg.log.toPlainText()
    assert not list((tmp_path / "lib").rglob("*.wav"))


def test_render_dialog_says_which_recording_licences_the_pack_does_not_name(qtbot, window, tmp_path):
    from sfxgen.render import RenderReport

    dlg = window.open_render_dialog()
    qtbot.addWidget(dlg)
    report = RenderReport(
        pack="Panel Test", out_dir=tmp_path, shard="1/1", total=3, rendered=3, skipped=0, cancelled=False,
        seconds=1.0, files=(), manifest=None, contact_sheet=None, license="CC0-1.0",
        unhonoured_licences={"CC-BY-SA-3.0": 2, "GPL-2+": 1},
    )  # fmt: skip
    dlg.token = 7
    with qtbot.waitSignal(dlg.render_done) as done:
        dlg._on_finished(7, report)
    log = dlg.log.toPlainText()
    assert done.args == ["finished"] and "3 rendered" in log
    assert "3 file(s) are variations of library recordings under CC-BY-SA-3.0 (2), GPL-2+ (1)" in log
    assert "'CC0-1.0' does not name" in log
