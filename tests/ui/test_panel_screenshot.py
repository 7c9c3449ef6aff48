"""Render the main window with results to docs/screenshots/panel.png (shown in the README)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QImage

from tests.ui.panel_helpers import generate

SHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "panel.png"


def test_screenshot_of_main_window_with_results(qtbot, window):
    window.resize(1180, 660)
    c = window.controls
    c.variations.setValue(5)
    c.duration.setValue(2.0)
    c.seed.setValue(40210)
    c.seed_lock.setChecked(True)
    c.blend_prompt.setText("rain")
    c.blend.setValue(25)
    variations = generate(qtbot, window, "heavy wooden door slams shut")
    window.toggle_favourite(variations[1])
    window.results.setCurrentRow(1)
    qtbot.wait(50)
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(SHOT))
    img = QImage(str(SHOT))
    assert (img.width(), img.height()) == (1180, 660)
    assert window.results.count() == 5
