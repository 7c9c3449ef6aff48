"""``sfxgen panel`` start-up: the window opens the default bundle when no --bundle is given."""

from __future__ import annotations

from ui.app import create_window


def test_window_opens_the_default_bundle_without_argument(qtbot, themed_app, tiny_bundle, tmp_path, monkeypatch):
    monkeypatch.setenv("SFXGEN_BUNDLE", str(tiny_bundle))  # default_bundle(): $SFXGEN_BUNDLE, else models/default
    window = create_window(None, tmp_path / "out", tmp_path / "history.sqlite3", threads=1)
    qtbot.addWidget(window)
    try:
        qtbot.waitUntil(lambda: window.engine_info is not None, timeout=20000)
        assert window.engine_info.bundle_id == "tiny-test-0" and window.engine_info.root == tiny_bundle
    finally:
        window.close()
        window.controller.shutdown()
        window.history.close()


def test_window_without_any_bundle_says_how_to_open_one(qtbot, themed_app, tmp_path, monkeypatch):
    import ui.app

    monkeypatch.delenv("SFXGEN_BUNDLE", raising=False)
    monkeypatch.setattr(ui.app, "default_bundle", lambda: tmp_path / "no_models")  # a checkout without models/
    window = create_window(None, tmp_path / "out", tmp_path / "history.sqlite3", threads=1)
    qtbot.addWidget(window)
    try:
        assert window.engine_info is None and "Ctrl+O" in window.status_label.text()
    finally:
        window.close()
        window.controller.shutdown()
        window.history.close()
