"""Helpers shared by the panel tests."""

from __future__ import annotations


def generate(qtbot, window, prompt: str = "heavy wooden door slams shut", timeout: int = 30000, **overrides):
    """Generate through the UI and wait for the results; returns the variations."""
    window.controls.prompt.setText(prompt)
    with qtbot.waitSignal(window.generation_done, timeout=timeout) as blocker:
        token = window.generate(overrides or None)
        assert token is not None, window.last_error
    return blocker.args[0]
