"""Render the main window with results; with SFXGEN_UPDATE_DOCS=1 into docs/screenshots/panel.png (the README's).

The shipped default bundle is used when it is there (real sounds in the thumbnails), else the tiny test bundle.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtGui import QImage

from tests.ui.panel_helpers import generate

REPO = Path(__file__).resolve().parents[2]
DOCS_SHOT = REPO / "docs" / "screenshots" / "panel.png"
DEFAULT_BUNDLE = REPO / "models" / "default"


def test_screenshot_of_main_window_with_results(qtbot, make_window, tmp_path):
    bundle = DEFAULT_BUNDLE if (DEFAULT_BUNDLE / "bundle.json").is_file() else None
    window = make_window(bundle=bundle)
    window.resize(1180, 660)
    c = window.controls
    c.variations.setValue(5)
    c.duration.setValue(2.0)
    c.seed.setValue(40210)
    c.seed_lock.setChecked(True)
    variations = generate(qtbot, window, "footsteps on gravel")
    window.toggle_favourite(variations[1])
    window.results.setCurrentRow(1)
    qtbot.wait(50)
    shot = DOCS_SHOT if os.environ.get("SFXGEN_UPDATE_DOCS") == "1" else tmp_path / "panel.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(shot))
    img = QImage(str(shot))
    assert (img.width(), img.height()) == (1180, 660)
    assert window.results.count() == 5
    assert all(Path(v.path).is_file() for v in variations)
