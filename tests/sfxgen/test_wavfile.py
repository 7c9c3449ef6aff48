"""WAV writer: BWF bext v2 + iXML read back by wavinfo (independent reader) and soundfile; atomic writes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import os

import numpy as np
import pytest
import soundfile as sf
import wavinfo

from sfxgen import wavfile
from sfxgen.finishing import BitDepth, FinishSpec, finish
from sfxgen.wavfile import SoundTags, read_wav_metadata, write_wav
from tests.sfxgen.test_recipe import make_recipe

CREATED = dt.datetime(2026, 1, 2, 3, 4, 5)
TAGS = SoundTags(
    description="Heavy wooden door slams shut & <echoes>",
    catid="DOORWood",
    category="DOORS",
    subcategory="WOOD",
    fxname="Door Slam Heavy",
    keywords=("door", "slam", "wood"),
    library="Test Lib",
    designer="Ada Designer",
    creator_id="SFXG",
    source_id="TEST",
)


@pytest.fixture(scope="module")
def audio():
    x = np.random.default_rng(0).standard_normal(16000 * 4) * 0.1
    return finish(x, 16000, FinishSpec(loudness_lufs=-23.0))


@pytest.mark.parametrize(
    "depth,tol", [(BitDepth.PCM24, 0.5 / 2**23), (BitDepth.PCM16, 0.5 / 2**15), (BitDepth.FLOAT32, 1e-7)]
)
def test_audio_reads_back_exactly(tmp_path, audio, depth, tol):
    p = write_wav(tmp_path / "a.wav", audio, depth, TAGS, make_recipe(), created=CREATED)
    y, sr = sf.read(p, dtype="float64")
    info = sf.info(p)
    assert sr == 48000 and y.shape == audio.samples.shape
    assert np.max(np.abs(y - audio.samples)) <= tol
    assert info.subtype == {"pcm24": "PCM_24", "pcm16": "PCM_16", "float32": "FLOAT"}[depth.value]


def test_bext_read_by_wavinfo(tmp_path, audio):
    p = write_wav(tmp_path / "a.wav", audio, BitDepth.PCM24, TAGS, make_recipe(), created=CREATED)
    b = wavinfo.WavInfoReader(str(p)).bext
    assert b.description == TAGS.description
    assert b.originator == "sfxgen"
    assert (b.originator_date, b.originator_time) == ("2026-01-02", "03:04:05")
    assert b.version == 2
    assert b.loudness_value == pytest.approx(-23.0, abs=0.01)
    assert b.max_true_peak == pytest.approx(audio.true_peak_dbtp, abs=0.01)
    assert b.loudness_range == pytest.approx(audio.loudness_range, abs=0.01)
    assert b.coding_history.startswith("A=PCM,F=48000,W=24,M=mono,T=sfxgen")


def test_ixml_user_read_by_wavinfo(tmp_path, audio):
    p = write_wav(tmp_path / "a.wav", audio, BitDepth.PCM24, TAGS, make_recipe(), created=CREATED)
    x = wavinfo.WavInfoReader(str(p)).ixml.raw_xml
    user = {el.tag: el.text for el in x.find("./USER")}
    assert user["CATID"] == "DOORWood" and user["CATEGORY"] == "DOORS" and user["SUBCATEGORY"] == "WOOD"
    assert user["CATEGORYFULL"] == "DOORS-WOOD"
    assert user["FXNAME"] == "Door Slam Heavy"
    assert user["DESCRIPTION"] == TAGS.description  # XML-escaped on disk, exact after parsing
    assert user["KEYWORDS"] == "door, slam, wood"
    assert user["LIBRARY"] == "Test Lib" and user["DESIGNER"] == "Ada Designer"
    assert "seed 42" in user["NOTES"]
    assert x.find("./IXML_VERSION").text


def test_recipe_and_tags_round_trip(tmp_path, audio):
    r = make_recipe(prompt='door "slam" <b>&amp;</b> ünï')
    p = write_wav(tmp_path / "a.wav", audio, BitDepth.PCM24, TAGS, r, created=CREATED)
    m = read_wav_metadata(p)
    assert m.recipe == r
    assert m.tags.catid == TAGS.catid and m.tags.keywords == TAGS.keywords and m.tags.creator_id == "SFXG"
    assert (m.sample_rate, m.channels, m.bit_depth, m.frames) == (48000, 1, BitDepth.PCM24, audio.frames)
    assert m.bext["loudness_value"] == pytest.approx(-23.0, abs=0.01)


def test_deterministic_bytes(tmp_path, audio):
    a = write_wav(tmp_path / "a.wav", audio, BitDepth.PCM24, TAGS, make_recipe(), created=CREATED)
    b = write_wav(tmp_path / "b.wav", audio, BitDepth.PCM24, TAGS, make_recipe(), created=CREATED)
    assert a.read_bytes() == b.read_bytes()
    c = write_wav(tmp_path / "c.wav", audio, BitDepth.PCM24, TAGS, make_recipe(), created=CREATED + dt.timedelta(1))
    assert c.read_bytes() != a.read_bytes()


def test_chunk_order_and_padding(tmp_path, audio):
    p = write_wav(tmp_path / "a.wav", audio, BitDepth.PCM24, TAGS, make_recipe(), created=CREATED)
    data = p.read_bytes()
    assert data.index(b"bext") < data.index(b"data") and data.index(b"iXML") < data.index(b"data")
    assert len(data) % 2 == 0 and int.from_bytes(data[4:8], "little") == len(data) - 8


def test_stereo_float_has_fact(tmp_path, audio):
    st = finish(np.stack([audio.samples, audio.samples * 0.5], 1), 48000)
    p = write_wav(tmp_path / "s.wav", st, BitDepth.FLOAT32, TAGS, make_recipe(), created=CREATED)
    assert b"fact" in wavfile.read_chunks(p)
    assert "M=stereo" in read_wav_metadata(p).bext["coding_history"]
    assert sf.info(p).channels == 2


def test_refuses_overwrite_and_leaves_no_temp(tmp_path, audio):
    p = write_wav(tmp_path / "a.wav", audio, BitDepth.PCM24, TAGS, make_recipe(), created=CREATED)
    before = p.read_bytes()
    with pytest.raises(FileExistsError, match=r"overwrite"):
        write_wav(p, audio, BitDepth.PCM16, TAGS, make_recipe(), created=CREATED)
    assert p.read_bytes() == before
    write_wav(p, audio, BitDepth.PCM16, TAGS, make_recipe(), created=CREATED, overwrite=True)
    assert p.read_bytes() != before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.wav"]


@pytest.mark.parametrize("where", ["write", "fsync"])
def test_disk_full_leaves_nothing(tmp_path, audio, monkeypatch, where):
    def boom(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(wavfile.os, where, boom)
    with pytest.raises(OSError, match=r"No space left") as info:
        write_wav(tmp_path / "a.wav", audio, BitDepth.PCM24, TAGS, make_recipe(), created=CREATED)
    assert info.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []


def test_missing_and_readonly_folder(tmp_path, audio):
    with pytest.raises(FileNotFoundError, match=r"does not exist"):
        write_wav(tmp_path / "nope" / "a.wav", audio, BitDepth.PCM24, TAGS, make_recipe())
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as a user that ignores permissions")
        with pytest.raises(PermissionError):
            write_wav(ro / "a.wav", audio, BitDepth.PCM24, TAGS, make_recipe())
    finally:
        ro.chmod(0o700)


def test_not_a_wav(tmp_path):
    bad = tmp_path / "x.wav"
    bad.write_bytes(b"hello world, not riff")
    with pytest.raises(wavfile.WavFormatError):
        read_wav_metadata(bad)


NEW_TAGS = SoundTags(
    description="Gravel footsteps, slow",
    catid="FEETHmn",
    category="FOOTSTEPS",
    subcategory="HUMAN",
    fxname="Footsteps Gravel Slow",
    keywords=("footsteps", "gravel"),
    library="Renamed Lib",
    designer="Bo",
    creator_id="BO",
    source_id="PANEL",
)


def _chunk_map(p):
    return {ident: payload for ident, payload, _ in wavfile._split_chunks(p.read_bytes(), p)}


@pytest.mark.parametrize("depth", [BitDepth.PCM24, BitDepth.FLOAT32])
def test_retag_rename_rewrites_only_tags(tmp_path, audio, depth):
    recipe = make_recipe()
    old = write_wav(tmp_path / "old.wav", audio, depth, TAGS, recipe, created=CREATED)
    before = _chunk_map(old)
    new = wavfile.retag_wav(old, NEW_TAGS, tmp_path / "FEETHmn_Footsteps Gravel Slow_BO_PANEL.wav")
    assert new.is_file() and not old.exists()
    assert sorted(x.name for x in tmp_path.iterdir()) == [new.name]  # no temp file left
    # exactly the file write_wav makes with the new tags: nothing else changed
    assert new.read_bytes() == wavfile.wav_bytes(audio, depth, NEW_TAGS, recipe, CREATED)
    after = _chunk_map(new)
    assert after[b"data"] == before[b"data"] and after[b"fmt "] == before[b"fmt "]
    assert after[b"bext"][288:] == before[b"bext"][288:]  # reference, date/time, loudness, coding history
    info = wavinfo.WavInfoReader(str(new))  # an independent reader
    user = {el.tag: el.text for el in info.ixml.raw_xml.find("./USER")}
    assert (user["CATID"], user["CATEGORY"], user["SUBCATEGORY"]) == ("FEETHmn", "FOOTSTEPS", "HUMAN")
    assert user["CATEGORYFULL"] == "FOOTSTEPS-HUMAN" and user["FXNAME"] == "Footsteps Gravel Slow"
    assert (user["SHORTID"], user["SHOW"], user["LIBRARY"]) == ("BO", "PANEL", "Renamed Lib")
    assert user["KEYWORDS"] == "footsteps, gravel" and "seed 42" in user["NOTES"]
    assert info.ixml.raw_xml.find("./PROJECT").text == "Renamed Lib"
    assert info.bext.description == "Gravel footsteps, slow"
    assert (info.bext.originator_date, info.bext.originator_time) == ("2026-01-02", "03:04:05")
    assert info.bext.loudness_value == pytest.approx(-23.0, abs=0.01)
    old_ixml, new_ixml = before[b"iXML"].decode(), after[b"iXML"].decode()
    assert old_ixml[old_ixml.index("<SFXGEN>") :] == new_ixml[new_ixml.index("<SFXGEN>") :]  # recipe verbatim
    meta = read_wav_metadata(new)
    assert meta.recipe == recipe and meta.tags == dataclasses.replace(NEW_TAGS, notes=user["NOTES"])


def test_retag_in_place_and_refusals(tmp_path, audio, monkeypatch):
    p = write_wav(tmp_path / "a.wav", audio, BitDepth.PCM16, TAGS, make_recipe(), created=CREATED)
    assert wavfile.retag_wav(p, NEW_TAGS) == p and read_wav_metadata(p).tags.fxname == NEW_TAGS.fxname
    other = write_wav(tmp_path / "b.wav", audio, BitDepth.PCM16, TAGS, make_recipe(prompt="other"), created=CREATED)
    a_bytes, b_bytes = p.read_bytes(), other.read_bytes()
    with pytest.raises(FileExistsError):
        wavfile.retag_wav(p, TAGS, other)  # never overwrites another file
    assert (p.read_bytes(), other.read_bytes()) == (a_bytes, b_bytes)
    assert wavfile.retag_wav(p, NEW_TAGS, tmp_path / "." / "a.wav").read_bytes() == a_bytes  # same file: no-op

    def boom(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(wavfile.os, "fsync", boom)
    with pytest.raises(OSError, match=r"No space left"):
        wavfile.retag_wav(p, TAGS, tmp_path / "c.wav")
    monkeypatch.undo()
    assert p.read_bytes() == a_bytes and sorted(x.name for x in tmp_path.iterdir()) == ["a.wav", "b.wav"]
    plain = tmp_path / "plain.wav"
    sf.write(plain, audio.samples, audio.sample_rate, subtype="PCM_16")
    with pytest.raises(wavfile.WavFormatError, match=r"only WAVs written by sfxgen"):
        wavfile.retag_wav(plain, NEW_TAGS)


def test_loop_points_in_smpl_read_by_wavinfo(tmp_path, audio):
    looped = finish(np.random.default_rng(1).standard_normal(16000 * 3) * 0.1, 16000, FinishSpec(loop_crossfade_ms=500))
    p = write_wav(tmp_path / "loop.wav", looped, BitDepth.PCM24, TAGS, make_recipe(), created=CREATED)
    smpl = wavinfo.WavInfoReader(str(p)).smpl
    assert smpl.sample_period_ns == round(1e9 / 48000) and smpl.midi_note == 60
    assert len(smpl.sample_loops) == 1
    loop = smpl.sample_loops[0]
    assert (loop.loop_type, loop.start, loop.end, loop.repetition_count) == (0, 0, looped.frames - 1, 0)
    meta = read_wav_metadata(p)
    assert meta.loop == (0, looped.frames - 1) and meta.frames == looped.frames == 2.5 * 48000
    assert sf.read(p)[0].shape == (looped.frames,)  # libsndfile still reads the samples
    one_shot = write_wav(tmp_path / "one.wav", audio, BitDepth.PCM24, TAGS, make_recipe(), created=CREATED)
    assert read_wav_metadata(one_shot).loop is None and b"smpl" not in wavfile.read_chunks(one_shot)
