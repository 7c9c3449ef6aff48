"""``init`` and ``strength`` options of /sfxgen/generate(_image): parsing, the engine request, replies, recipes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sfxgen.finishing import FinishSpec
from sfxgen.osc.router import build_request
from sfxgen.osc.validate import OscArgError, parse_generate
from sfxgen.wavfile import read_wav_metadata


def write_wav(path: Path, seconds: float = 0.8, sr: int = 48000, silent: bool = False) -> Path:
    """A decaying noise burst (or silence) as 16-bit WAV."""
    n = int(seconds * sr)
    rng = np.random.default_rng(3)
    x = np.zeros(n) if silent else 0.5 * rng.standard_normal(n) * np.exp(-np.arange(n) / (0.1 * sr))
    sf.write(path, x, sr, subtype="PCM_16")
    return path


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "door take.wav")


def test_options_reach_the_engine_request(wav, tmp_path):
    g = parse_generate(["r1", "door slam", 0.5, 2, 3, -1.0, "strength", 0.5, "init", str(wav)], image=False)
    assert (g.strength, g.init, g.duration, g.variations) == (0.5, wav, 0.5, 2)
    request = build_request(g, 3, tmp_path, ("a", "b"))
    assert (request.strength, request.init_audio, request.duration, request.seed) == (0.5, wav, 0.5, 3)
    assert request.file_stems == ("a", "b") and request.out_dir == tmp_path


def test_defaults_leave_strength_and_init_to_the_pipeline(tmp_path):
    request = build_request(parse_generate(["r2", "door slam"], image=False), 1, tmp_path, ("a",))
    assert (request.strength, request.init_audio, request.duration) == (None, None, 2.0)


def test_loop_option_reaches_the_finishing(tmp_path):
    request = build_request(parse_generate(["l1", "rain", 4.0, 1, "loop", 500], image=False), 1, tmp_path, ("a",))
    assert request.finish.loop_crossfade_ms == 500.0 and request.duration == 4.0
    plain = build_request(parse_generate(["l2", "rain"], image=False), 1, tmp_path, ("a",))
    assert plain.finish == FinishSpec()


def test_format_and_level_options_reach_the_finishing(tmp_path):
    g = parse_generate(["f1", "rain", "sample_rate", 44100.0, "bit_depth", 16, "lufs", -23], image=False)
    assert build_request(g, 1, tmp_path, ("a",)).finish == FinishSpec(
        sample_rate=44100, bit_depth="pcm16", loudness_lufs=-23.0
    )
    assert parse_generate(["f2", "rain", "bit_depth", "32f"], image=False).finish().bit_depth.value == "float32"
    assert build_request(parse_generate(["f3", "rain", "channels", 2], image=False), 1, tmp_path, ("a",)).channels == 2


def test_duration_defaults_to_the_init_sound_length(wav):
    assert parse_generate(["r3", "door", "init", str(wav)], image=False).duration == 0.8
    assert parse_generate(["r4", "door", 1.5, "init", str(wav)], image=False).duration == 1.5  # an explicit one wins
    g = parse_generate(["r5", "door", "strength", 1, "init", str(wav)], image=False)
    assert (g.strength, g.duration) == (1.0, 0.8)  # an int strength (Max) is a number too


def test_generate_image_takes_them_too(wav, tmp_path):
    img = tmp_path / "door.png"
    img.write_bytes(b"not checked at parse time beyond existing")
    g = parse_generate(["i1", str(img), 0.5, 1, 0, -1.0, "init", str(wav), "strength", 0.25], image=True)
    assert (g.image, g.init, g.strength, g.prompt) == (img, wav, 0.25, "")


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [
        ("strength", 0.0, "option strength must be in (0, 1] (1 = from pure noise), got 0.0"),
        ("strength", 1.5, "option strength must be in (0, 1]"),
        ("strength", -0.2, "option strength must be in (0, 1]"),
        ("strength", float("nan"), "option strength must be in (0, 1]"),
        ("strength", "much", "option strength must be a number, got string 'much'"),
        ("init", "door.wav", "option init must be an absolute path, got 'door.wav'"),
        ("init", "/no/such/door.wav", "option init '/no/such/door.wav' is not a readable file"),
        ("init", 5, "option init must be a string, got int 5"),
        ("loop", -1, "option loop (crossfade ms, 0 = no loop) must be in 0 .. 10000, got -1"),
        ("loop", "long", "option loop (crossfade ms, 0 = no loop) must be a number"),
        ("sample_rate", 96000, "option sample_rate must be 48000 or 44100, got 96000"),
        ("bit_depth", 8, "option bit_depth must be 16, 24 or 32f, got '8'"),
        ("lufs", 3, "option lufs (integrated loudness target) must be in -70 .. 0, got 3"),
        ("channels", 6, "option channels (1 mono, 2 stereo) must be in 1 .. 2, got 6"),
    ],
)
def test_bad_values_are_refused_with_what_to_fix(option, value, needle):
    with pytest.raises(OscArgError, match="option") as info:
        parse_generate(["b1", "door", 0.5, option, value], image=False)
    assert needle in str(info.value) and info.value.req_id == "b1"


def test_round_trip_recipe_records_strength_and_init_sha256(client, wav, out_dir):
    address, args = client.request(
        "/sfxgen/generate", "v1", "door slam", "steps", 2, "init", str(wav), "strength", 0.5, timeout=30
    )
    assert address == "/sfxgen/done", args
    digest = hashlib.sha256(wav.read_bytes()).hexdigest()
    (path,) = (Path(a) for a in args[1:])
    assert path.is_relative_to(out_dir.resolve())
    recipe = read_wav_metadata(path).recipe
    assert (recipe.strength, recipe.init_sha256, recipe.init_path) == (0.5, digest, str(wav.resolve()))
    assert recipe.duration == 0.8 and sf.info(str(path)).duration == pytest.approx(0.8, abs=0.01)


def test_init_without_strength_uses_the_init_default(client, wav):
    address, args = client.request("/sfxgen/generate", "v2", "door slam", 0.5, 1, 4, -1.0, "steps", 2, "init", str(wav))
    assert address == "/sfxgen/done", args
    recipe = read_wav_metadata(Path(args[1])).recipe
    assert (recipe.strength, recipe.seed, recipe.duration) == (0.6, 4, 0.5)


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (("strength", 2.0), "option strength must be in (0, 1]"),
        (("strength", 0.5), "strength < 1 needs a start sound"),  # the tiny bundle has no sound library
        (("init", "relative.wav"), "option init must be an absolute path"),
    ],
)
def test_bad_values_get_one_error_reply(client, extra, needle):
    address, args = client.request("/sfxgen/generate", "e1", "door slam", 0.5, 1, 1, -1.0, *extra)
    assert address == "/sfxgen/error" and needle in args[1], args
    assert [a for a, _ in client.about("e1")] == ["/sfxgen/error"]  # refused before accepted


def test_unreadable_and_silent_init_files_then_the_bridge_still_works(client, tmp_path, wav):
    text = tmp_path / "notes.wav"
    text.write_text("not a sound")
    address, args = client.request("/sfxgen/generate", "e2", "door", 0.5, 1, 1, -1.0, "init", str(text))
    assert address == "/sfxgen/error" and "is not a readable sound file" in args[1], args
    silent = write_wav(tmp_path / "silence.wav", silent=True)
    address, args = client.request(
        "/sfxgen/generate", "e3", "door", 0.5, 1, 1, -1.0, "steps", 2, "init", str(silent), timeout=30
    )
    assert address == "/sfxgen/error" and "silent" in args[1], args
    address, args = client.request(
        "/sfxgen/generate", "ok", "door", 0.5, 1, 1, -1.0, "steps", 2, "init", str(wav), timeout=30
    )
    assert address == "/sfxgen/done", args
