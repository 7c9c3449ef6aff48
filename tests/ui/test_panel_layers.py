"""The panel never imports torch or onnxruntime itself; the CLI command imports Qt only when run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={"QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )
    return set(out.stdout.split())


def test_ui_modules_import_neither_torch_nor_onnxruntime():
    mods = _modules_after(
        "import ui.app, ui.main_window, ui.worker, ui.results, ui.player, ui.drag, ui.history, ui.dialogs"
    )
    assert "ui.main_window" in mods and "PySide6.QtWidgets" in mods
    assert not {m for m in mods if m.split(".")[0] in {"torch", "onnxruntime", "open_clip", "exporters"}}


def test_panel_command_is_light_until_run():
    mods = _modules_after("import sfxgen.commands.panel as p; assert p.HELP and p.add_arguments and p.run")
    assert not {m for m in mods if m.split(".")[0] in {"PySide6", "ui", "torch", "onnxruntime"}}
