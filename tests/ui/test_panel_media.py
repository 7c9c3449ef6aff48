"""Image / video queries: frames decoded with PyAV, a clear message without it."""

from __future__ import annotations

import numpy as np
import pytest

from ui import media


def _write_video(path, frames=12, fps=6):
    av = pytest.importorskip("av")
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(frames):
            rgb = np.zeros((48, 64, 3), np.uint8)
            rgb[..., 0] = 255 if i < frames // 2 else 0  # red first half, blue second half
            rgb[..., 2] = 0 if i < frames // 2 else 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def test_video_frame_at_time(tmp_path):
    video = tmp_path / "clip.mp4"
    _write_video(video)
    assert media.is_video(video) and not media.is_image(video)
    assert media.video_duration(video) == pytest.approx(2.0, abs=0.25)
    early, late = media.video_frame(video, 0.2), media.video_frame(video, 1.7)
    assert early.shape == (48, 64, 3)
    assert early[..., 0].mean() > 200 > early[..., 2].mean()
    assert late[..., 2].mean() > 200 > late[..., 0].mean()
    png = media.save_frame(late, tmp_path / "frames", video, 1.7)
    assert png.suffix == ".png" and png.is_file()


def test_video_without_pyav_gives_a_clear_message(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setattr(media.importlib.util, "find_spec", lambda name: None)
    window.set_query_media(str(tmp_path / "clip.mp4"))
    assert "PyAV" in window.last_error and "pip install av" in window.controls.error.text()
    window.set_query_media(str(tmp_path / "notes.txt"))
    assert "drop an image" in window.last_error
