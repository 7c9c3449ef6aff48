"""Audio discovery inside archives, chunking and drop rules."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from exporters.corpus import audio
from exporters.corpus.sources import ArchiveGlob, Source

SR = 8000


def _wav_bytes(x: np.ndarray, sr: int = SR) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, x, sr, format="WAV")
    return buf.getvalue()


def _assert_only_member(src: Source, root: Path, source_path: str, licence_path: str, tone: np.ndarray) -> None:
    """``src`` finds exactly one audio member under ``root``, with these paths, decoding to ``tone``."""
    (found,) = audio.find_audio(src, root)
    assert found.source_path == source_path
    assert found.licence_path == licence_path
    x, sr = audio.decode_mono(found.read_bytes())
    assert sr == SR and np.allclose(x, tone, atol=1e-4)


def test_archive_extraction(tmp_path: Path) -> None:
    tone = 0.5 * np.sin(np.arange(SR) * 0.05).astype(np.float32)
    pk3 = tmp_path / "usr/share/game/0snd.pk3"
    pk3.parent.mkdir(parents=True)
    with zipfile.ZipFile(pk3, "w") as zf:
        zf.writestr("sound/steps/gravel1.wav", _wav_bytes(tone))
        zf.writestr("sound/readme.txt", "not audio")
        zf.writestr("music/theme.wav", _wav_bytes(tone))
    src = Source("pkg", "GPL-2+", archives=(ArchiveGlob("usr/share/game/*.pk3", "sound/*"),))
    _assert_only_member(
        src, tmp_path, "usr/share/game/0snd.pk3:sound/steps/gravel1.wav", "usr/share/game/sound/steps/gravel1.wav", tone
    )


def test_qt_resource_extraction(tmp_path: Path) -> None:
    """Audio packed in a binary Qt resource file (GCompris's .rcc) is listed and read like zip members."""
    tone = 0.5 * np.sin(np.arange(SR) * 0.07).astype(np.float32)
    res = tmp_path / "res"
    (res / "gcompris/src/animals").mkdir(parents=True)
    (res / "gcompris/src/animals/dog.wav").write_bytes(_wav_bytes(tone))
    (res / "gcompris/src/readme.txt").write_text("not audio")
    (res / "x.qrc").write_text(
        '<RCC><qresource prefix="/">'
        "<file>gcompris/src/animals/dog.wav</file><file>gcompris/src/readme.txt</file>"
        "</qresource></RCC>"
    )
    rcc = tmp_path / "usr/share/app/rcc/animals.rcc"
    rcc.parent.mkdir(parents=True)
    pyside6_rcc = Path(sys.executable).with_name("pyside6-rcc")
    subprocess.run([str(pyside6_rcc), "--binary", "-o", str(rcc), str(res / "x.qrc")], check=True, cwd=res)
    src = Source("pkg", "GPL-3+", archives=(ArchiveGlob("usr/share/app/rcc/*.rcc", "gcompris/*", kind="qrc"),))
    _assert_only_member(
        src,
        tmp_path,
        "usr/share/app/rcc/animals.rcc:gcompris/src/animals/dog.wav",
        "usr/share/app/rcc/gcompris/src/animals/dog.wav",
        tone,
    )


def test_unknown_archive_kind_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown archive kind"):
        audio.archive_members(tmp_path / "a.7z", "*", kind="7z")


def test_chunk_and_drop() -> None:
    x = np.ones(int(25 * SR), np.float32) * 0.1
    pieces = audio.chunk(x, SR)
    assert len(pieces) == 3 and sum(p.size for p in pieces) == x.size
    assert max(p.size for p in pieces) <= 10 * SR
    assert audio.drop_reason(np.zeros(SR, np.float32), SR) == "near_silent"
    assert audio.drop_reason(np.ones(SR // 20, np.float32), SR) == "too_short"
    assert audio.drop_reason(pieces[0], SR) is None


def test_pcm_hash_is_content_identity() -> None:
    x = np.linspace(-1.2, 1.2, 100, dtype=np.float32)
    pcm = audio.to_pcm16(x)
    assert np.abs(pcm.astype(np.int32)).max() <= 32767
    assert audio.pcm_sha256(pcm) == audio.pcm_sha256(pcm.copy())
    assert audio.pcm_sha256(pcm) != audio.pcm_sha256(pcm[::-1].copy())
