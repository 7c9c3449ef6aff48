"""Drag mime data (file URLs of existing files) and the no-audio-device path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QUrl

from tests.ui.panel_helpers import generate
from ui import drag
from ui.player import Player


def test_results_drag_carries_urls_of_existing_files(qtbot, window):
    variations = generate(qtbot, window, "metal impact")
    items = [window.results.item(i) for i in range(window.results.count())]
    mime = window.results.mimeData(items[:2])
    urls = mime.urls()
    assert len(urls) == 2
    for url, v in zip(urls, variations[:2]):
        assert url.isLocalFile()
        path = Path(url.toLocalFile())
        assert path == v.path.resolve() and path.is_file() and path.stat().st_size > 1000
    assert url.toString().startswith("file://")
    assert mime.text().splitlines() == [str(v.path.resolve()) for v in variations[:2]]
    # the history table is a drag source too
    window.history_view.reload()
    top = window.history_view.table.topLevelItem(0)
    hist = window.history_view.table.mimeData([top])
    assert [Path(u.toLocalFile()).is_file() for u in hist.urls()] == [True]


def test_drag_refuses_missing_files(tmp_path, qapp):
    with pytest.raises(FileNotFoundError, match="nothing to drag"):
        drag.file_mime_data([tmp_path / "gone.wav"])
    real = tmp_path / "a.wav"
    sf.write(real, np.zeros(480, np.float32), 48000)
    mime = drag.file_mime_data([tmp_path / "gone.wav", real, real])
    assert mime.urls() == [QUrl.fromLocalFile(str(real.resolve()))]


def test_no_portaudio_says_so_and_generation_still_works(qtbot, window):
    assert not window.player.available
    assert "No audio output" in window.status_label.text() or "No audio output" in window.player.error
    assert window.audio_label.text() == "no audio output"
    assert not window.device_box.isEnabled()
    generate(qtbot, window, "bird chirp")  # everything else works
    with qtbot.waitSignal(window.player.message, timeout=2000) as msg:
        window.play_selected()
    assert msg.args[0].startswith("No audio output")
    assert "No audio output" in window.status_label.text()


class FakeSoundDevice:
    """A sounddevice stand-in with real device tables but no hardware behind them."""

    class PortAudioError(Exception):
        pass

    def __init__(self, devices: list[dict], fail_play: bool = False) -> None:
        self.devices = devices
        self.fail_play = fail_play
        self.played: list[tuple[int, int, object, bool]] = []

    def query_devices(self):
        return self.devices

    def query_hostapis(self, index):
        return {"name": "ALSA"}

    def play(self, data, samplerate, device=None, loop=False):
        if self.fail_play:
            raise self.PortAudioError("Error opening OutputStream: Device unavailable [PaErrorCode -9985]")
        self.played.append((data.shape[0], samplerate, device, loop))

    def stop(self):
        pass


def test_no_output_device_is_reported(qapp):
    sd = FakeSoundDevice([{"name": "Mic", "hostapi": 0, "max_output_channels": 0}])
    player = Player(lambda: sd)
    assert not player.available and "no audio output device" in player.error


def test_play_failure_is_caught_and_reported(qtbot, tmp_path, qapp):
    wav = tmp_path / "x.wav"
    sf.write(wav, np.zeros((4800, 2), np.float32), 48000)
    sd = FakeSoundDevice([{"name": "Out", "hostapi": 0, "max_output_channels": 2}], fail_play=True)
    player = Player(lambda: sd)
    assert player.available and player.output_devices() == [(0, "Out (ALSA)")]
    with qtbot.waitSignal(player.message) as msg:
        assert player.play(wav) is False
    assert msg.args[0].startswith("Cannot play x.wav") and "Device unavailable" in msg.args[0]
    sd.fail_play = False
    player.set_device(0)
    player.set_loop(True)
    assert player.play(wav) is True
    assert sd.played[-1] == (4800, 48000, 0, True)
    player.stop()
