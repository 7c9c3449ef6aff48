"""A tiny end-to-end build over fake unpacked packages (no apt-get, no network)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf

from exporters.corpus.build import build_corpus

SR_IN, SR_OUT = 22050, 8000
LUGARU = "usr/share/games/lugaru/Sounds"
COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: someone
License: GPL-2+

Files: Data/*
Copyright: someone
License: CC-BY-SA-3.0
"""


def _noise(seconds: float, seed: int, level: float = 0.3) -> np.ndarray:
    return (level * np.random.default_rng(seed).standard_normal(int(seconds * SR_IN))).astype(np.float32)


def _ogg(x: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, x, SR_IN, format="OGG", subtype="VORBIS")
    return buf.getvalue()


def _fake_cache(cache: Path) -> None:
    lug = cache / "extracted/lugaru-data"
    (lug / LUGARU).mkdir(parents=True)
    bark = _ogg(_noise(0.5, 1))
    (lug / LUGARU / "Bark.ogg").write_bytes(bark)
    (lug / LUGARU / "Bark2.ogg").write_bytes(bark)  # duplicate content: deduped
    (lug / LUGARU / "Wind.ogg").write_bytes(_ogg(_noise(21.0, 2)))  # chunked into 3 pieces
    (lug / LUGARU / "Thud.ogg").write_bytes(_ogg(np.zeros(SR_IN, np.float32)))  # near-silent: dropped
    (lug / LUGARU / "Music1Desert.ogg").write_bytes(_ogg(_noise(0.5, 3)))  # skipped by rule? no: unmatched
    doc = lug / "usr/share/doc/lugaru-data"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(COPYRIGHT, encoding="utf-8")
    ufo = cache / "extracted/ufoai-sound/usr/share/games/ufoai/base"
    ufo.mkdir(parents=True)
    with zipfile.ZipFile(ufo / "0snd.pk3", "w") as zf:
        for take in range(1, 4):
            zf.writestr(f"sound/footsteps/gravel{take}.ogg", _ogg(_noise(0.3, 10 + take)))
        zf.writestr("sound/misc/breakglass01.ogg", _ogg(_noise(0.04, 20)))  # too short: dropped
        zf.writestr("sound/doors/door1-close.ogg", _ogg(_noise(0.5, 30)))  # its rule has captions of its own
    for name in ("lugaru-data", "ufoai-sound"):
        (cache / "extracted" / f"{name}.ok").touch()


def test_tiny_build_end_to_end(tmp_path: Path) -> None:
    cache, out = tmp_path / "cache", tmp_path / "corpus"
    _fake_cache(cache)
    report = build_corpus(out, cache, sample_rate=SR_OUT, packages=["lugaru-data", "ufoai-sound"])
    lines = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    cats = sorted(x["category"] for x in lines)
    assert cats == [
        "dog_bark",
        "door",
        "footsteps_gravel",
        "footsteps_gravel",
        "footsteps_gravel",
        "wind",
        "wind",
        "wind",
    ]
    assert report.excluded == {"duplicate": 1, "near_silent": 1, "too_short": 1, "unmatched": 1}
    for x in lines:
        path = out / x["path"]
        assert path.exists() and x["path"] == f"audio/{x['split']}/{x['category']}/{x['id']}.flac"
        data, sr = sf.read(path, dtype="int16")
        assert sr == SR_OUT and abs(len(data) / sr - x["duration_s"]) < 1e-3
        assert x["licence"] == ("CC-BY-SA-3.0" if x["source_package"] == "lugaru-data" else "GPL-2+")
        assert x["ucs_catid"] and x["captions"]
    assert {x["split"] for x in lines if x["category"] == "footsteps_gravel"} == {"train"}  # one series
    assert max(x["duration_s"] for x in lines) <= 10.0
    assert json.loads((out / "report.json").read_text())["clips"] == 8
    door = next(x for x in lines if x["category"] == "door")  # the rule's captions, the category's beside them
    assert door["file_captions"][0] == "a door slams shut" and door["captions"][0] == "a door opening"
    assert all("file_captions" not in x for x in lines if x is not door)  # other rows as before
    # Re-running is idempotent and reuses the work records.
    before = (out / "manifest.jsonl").read_text()
    stamp = {p: p.stat().st_mtime_ns for p in (out / ".work/audio").iterdir()}
    again = build_corpus(out, cache, sample_rate=SR_OUT, packages=["lugaru-data", "ufoai-sound"])
    assert again == report and (out / "manifest.jsonl").read_text() == before
    assert stamp == {p: p.stat().st_mtime_ns for p in (out / ".work/audio").iterdir()}


def test_fetch_package_unpacks_a_cached_deb_into_a_fresh_cache(tmp_path: Path) -> None:
    """A .deb already in debs/ is unpacked on a cache that has no extracted/ folder yet (fresh machine)."""
    import shutil
    import subprocess

    import pytest

    from exporters.corpus.build import fetch_package

    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb not on this machine")
    pkg = tmp_path / "pkg"
    (pkg / "DEBIAN").mkdir(parents=True)
    (pkg / "DEBIAN/control").write_text(
        "Package: sfx-test\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n"
    )
    (pkg / "usr/share/sfx").mkdir(parents=True)
    (pkg / "usr/share/sfx/a.txt").write_text("hello")
    cache = tmp_path / "cache"
    (cache / "debs").mkdir(parents=True)
    subprocess.run(
        ["dpkg-deb", "--build", str(pkg), str(cache / "debs/sfx-test_1.0_all.deb")], check=True, capture_output=True
    )
    root = fetch_package("sfx-test", cache)
    assert (root / "usr/share/sfx/a.txt").read_text() == "hello"
    assert fetch_package("sfx-test", cache) == root  # stamped: no second unpack
