"""CLI: generate / info / regenerate through ``sfxgen.cli.main`` on the tiny bundle."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sfxgen import cli
from sfxgen.wavfile import read_wav_metadata


def _main(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_json_and_regenerate_bit_identical(tiny_bundle, tmp_path, capsys):
    code, out, err = _main(
        capsys, "generate", "wooden door slams", "-n", "3", "--seed", "40", "--duration", "0.6",
        "--out", str(tmp_path), "--bundle", str(tiny_bundle), "--json", "--bit-depth", "16", "--sample-rate", "44100",
        "--threads", "1",
    )  # fmt: skip
    assert code == 0, err
    res = json.loads(out)
    assert res["seeds"] == [40, 41, 42] and len(res["files"]) == 3
    data, sr = sf.read(res["files"][1], dtype="int16")
    assert sr == 44100 and len(data) == round(0.6 * 44100)
    meta = read_wav_metadata(res["files"][1])
    assert meta.recipe.seed == 41 and meta.bit_depth.value == "pcm16" and meta.tags.description == "wooden door slams"
    code, out, err = _main(capsys, "regenerate", res["files"][1], "--bundle", str(tiny_bundle), "--json")
    assert code == 0, err
    regen = json.loads(out)
    assert regen["identical"] is True and regen["max_abs_diff"] == 0.0
    assert regen["file"] == str(tmp_path / "regenerated" / "wooden_door_slams_s41.wav")


def test_regenerate_refuses_another_bundle(tiny_bundle, tmp_path, capsys):
    from tests.helpers.tiny_bundle import make_tiny_bundle

    code, out, _ = _main(
        capsys, "generate", "rain", "-n", "1", "--out", str(tmp_path), "--bundle", str(tiny_bundle), "--json"
    )
    assert code == 0
    other = make_tiny_bundle(tmp_path / "other", seed=3)
    code, _, err = _main(capsys, "regenerate", json.loads(out)["files"][0], "--bundle", str(other))
    assert code == 2 and "pass --bundle with the original" in err


def test_regenerate_file_without_recipe(tiny_bundle, tmp_path, capsys):
    import numpy as np

    plain = tmp_path / "plain.wav"
    sf.write(plain, np.zeros(100), 16000)
    code, _, err = _main(capsys, "regenerate", str(plain), "--bundle", str(tiny_bundle))
    assert code == 2 and "no sfxgen recipe" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["generate", ""], "prompt is empty"),
        (["generate", "x", "-n", "0"], "variations"),
        (["generate", "x", "--duration", "-1"], "duration"),
        (["generate", "x", "--guidance", "nan"], "guidance"),
        (["generate", "x", "--sampler", "heun"], "unknown sampler"),
        (["generate", "x", "--peak", "3"], "peak_dbfs"),
        (["generate", "x", "--loop", "-5"], "loop_crossfade_ms -5.0 must be in [0, 10000] ms"),
        (["generate", "x", "--loop", "--trim"], "a loop cannot have its silence trimmed"),
        (["generate", "x", "--loop", "900", "--duration", "0.5"], "loop crossfade (900 ms) is longer than the sound"),
    ],
)
def test_bad_arguments_exit_2_with_message(tiny_bundle, tmp_path, capsys, argv, message):
    code, _, err = _main(capsys, *argv, "--bundle", str(tiny_bundle), "--out", str(tmp_path))
    assert code == 2 and message in err


def test_missing_bundle_names_the_fix(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SFXGEN_BUNDLE", str(tmp_path / "none"))
    code, _, err = _main(capsys, "generate", "x", "--out", str(tmp_path))
    assert code == 2 and "not a model bundle" in err


@pytest.fixture
def keep_signal_handlers():
    """render and osc install SIGINT/SIGTERM handlers; put pytest's back."""
    import signal

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.mark.parametrize("command", ["render", "osc"])
@pytest.mark.usefixtures("keep_signal_handlers")
def test_render_and_osc_use_the_default_bundle_and_name_a_missing_one(command, tmp_path, capsys, caplog, monkeypatch):
    """Like generate, they need no --bundle: $SFXGEN_BUNDLE, else models/default; a bad one is a clear error."""
    from tests.helpers.packs import DOG, pack_toml, write_pack

    monkeypatch.setenv("SFXGEN_BUNDLE", str(tmp_path / "none"))
    pack = write_pack(tmp_path, pack_toml("T", "T", {"duration": 0.5, "count": 1, "steps": 2}, [DOG]))
    args = [str(pack), "--out", str(tmp_path / "lib")] if command == "render" else ["--port", "0"]
    code, _, _ = _main(capsys, command, *args)
    assert code == 2 and "not a model bundle" in caplog.text and str(tmp_path / "none") in caplog.text
    assert not (tmp_path / "lib").exists()


@pytest.mark.usefixtures("keep_signal_handlers")
def test_render_without_bundle_argument_renders_with_the_default(tiny_bundle, tmp_path, capsys, monkeypatch):
    from tests.helpers.packs import DOG, pack_toml, write_pack

    monkeypatch.setenv("SFXGEN_BUNDLE", str(tiny_bundle))
    pack = write_pack(tmp_path, pack_toml("T", "T", {"duration": 0.5, "count": 2, "steps": 2}, [DOG]))
    code, out, _ = _main(capsys, "render", str(pack), "--out", str(tmp_path / "lib"), "--threads", "1", "--json")
    assert code == 0 and json.loads(out)["rendered"] == 2


def test_info_json(tiny_bundle, capsys):
    code, out, _ = _main(capsys, "info", "--bundle", str(tiny_bundle), "--json")
    info = json.loads(out)
    assert code == 0 and info["bundle"]["id"] == "tiny-test-0" and "CPUExecutionProvider" in info["available_providers"]


def test_unavailable_command_is_reported(capsys, monkeypatch):
    monkeypatch.setitem(cli.COMMANDS, "nothing", "sfxgen.commands.does_not_exist")
    code, _, err = _main(capsys, "nothing")
    assert code == 2 and "not available" in err


def test_default_bundle_path(monkeypatch, tmp_path):
    from sfxgen import paths

    monkeypatch.setenv("SFXGEN_BUNDLE", str(tmp_path))
    assert paths.default_bundle() == tmp_path
    monkeypatch.delenv("SFXGEN_BUNDLE")
    assert paths.default_bundle().parts[-2:] == ("models", "default")


def test_default_presets_are_the_repository_packs(monkeypatch, tmp_path, capsys):
    """The OSC bridge and the panel's render dialog find presets/ without --presets, wherever they start."""
    from sfxgen import paths
    from sfxgen.osc.presets import resolve_pack

    monkeypatch.chdir(tmp_path)
    found = paths.default_presets()
    assert found is not None and (found / "nature_animals.toml").is_file()
    assert resolve_pack("nature_animals", found) == (found / "nature_animals.toml").resolve()
    code, out, err = _main(capsys, "render", "impacts_weapons", "--dry-run")  # a bare name, from another folder
    assert code == 0 and "GLASBrk_Glass Break_SFXG_IMPACTS_01.wav" in out and "144 files" in err
    code, _, _ = _main(capsys, "render", "no_such_pack", "--dry-run")
    assert code == 2
    monkeypatch.setattr(paths, "PACKAGE_DIR", tmp_path / "site-packages" / "sfxgen")
    assert paths.default_presets() is None  # an installed package without the repository: no default


def test_generate_variations_of_a_sound_with_init_and_strength(tiny_bundle, tmp_path, capsys):
    init = tmp_path / "door.wav"
    sf.write(init, 0.2 * np.sin(2 * np.pi * 300 * np.arange(int(0.8 * 16000)) / 16000), 16000)
    code, out, err = _main(
        capsys, "generate", "wooden door slams", "--init", str(init), "--strength", "0.4", "-n", "2", "--seed", "1",
        "--out", str(tmp_path / "out"), "--bundle", str(tiny_bundle), "--json",
    )  # fmt: skip
    assert code == 0, err
    res = json.loads(out)
    assert res["seconds"] == 0.8  # --duration defaults to the init sound's length
    recipe = res["recipes"][0]
    assert recipe["strength"] == 0.4 and recipe["init_path"] == str(init.resolve())
    code, out, err = _main(
        capsys, "generate", "door", "--strength", "0.4", "--out", str(tmp_path / "x"), "--bundle", str(tiny_bundle)
    )
    assert code == 2 and "needs a start sound" in err and not (tmp_path / "x").exists()


def _data_offset(raw: bytes) -> int:
    """Byte offset of a RIFF/WAVE file's sample data (walks the chunks: b"data" may occur inside iXML too)."""
    pos = 12
    while pos + 8 <= len(raw):
        size = int.from_bytes(raw[pos + 4 : pos + 8], "little")
        if raw[pos : pos + 4] == b"data":
            return pos + 8
        pos += 8 + size + (size & 1)
    raise AssertionError("no data chunk")


@pytest.mark.parametrize(
    ("byte", "flip", "verdict", "code"),
    [(0, 0x01, "rounding", 0), (2, 0x40, "different", 1)],  # one 24-bit sample's LSB (-138 dBFS) / high bits
)
def test_regenerate_tells_rounding_from_another_sound(tiny_bundle, tmp_path, capsys, byte, flip, verdict, code):
    """Another CPU's float kernels move samples by rounding (-85 dBFS measured): not a different sound."""
    rc, out, _ = _main(
        capsys, "generate", "rain", "-n", "1", "--duration", "0.5", "--out", str(tmp_path), "--bundle",
        str(tiny_bundle), "--json",
    )  # fmt: skip
    assert rc == 0
    path = Path(json.loads(out)["files"][0])
    raw = bytearray(path.read_bytes())
    raw[_data_offset(raw) + 3 * 1000 + byte] ^= flip  # sample 1000 of a 24-bit mono file
    path.write_bytes(raw)
    rc, out, _ = _main(capsys, "regenerate", str(path), "--bundle", str(tiny_bundle), "--json")
    regen = json.loads(out)
    assert (rc, regen["verdict"], regen["identical"]) == (code, verdict, False) and regen["max_abs_diff"] > 0
    rc, out, _ = _main(capsys, "regenerate", str(path), "--bundle", str(tiny_bundle), "--overwrite")
    assert ("equal within rounding" in out) == (verdict == "rounding") and ("DIFFERENT" in out) == (code == 1)


def test_generate_loop_files_are_as_long_as_asked_with_loop_points(tiny_bundle, tmp_path, capsys):
    from sfxgen.commands import generate
    from sfxgen.loops import DEFAULT_LOOP_CROSSFADE_MS

    assert generate.DEFAULT_LOOP_CROSSFADE_MS == DEFAULT_LOOP_CROSSFADE_MS  # kept apart so --help loads no numpy
    code, out, err = _main(
        capsys, "generate", "steady rain", "-n", "1", "--seed", "3", "--duration", "1.2", "--loop",
        "--out", str(tmp_path), "--bundle", str(tiny_bundle), "--json", "--threads", "1",
    )  # fmt: skip
    assert code == 0, err
    res = json.loads(out)
    meta = read_wav_metadata(res["files"][0])
    assert meta.frames == round(1.2 * 48000) and meta.loop == (0, meta.frames - 1)
    assert res["loop_seam_db"][0] >= 0
    assert meta.recipe.finish["loop_crossfade_ms"] == DEFAULT_LOOP_CROSSFADE_MS


def test_generate_stereo(tiny_bundle, tmp_path, capsys):
    code, out, err = _main(
        capsys, "generate", "steady rain", "-n", "1", "--seed", "3", "--duration", "0.5", "--stereo", "--loop", "100",
        "--out", str(tmp_path), "--bundle", str(tiny_bundle), "--json", "--threads", "1",
    )  # fmt: skip
    assert code == 0, err
    meta = read_wav_metadata(json.loads(out)["files"][0])
    assert (meta.channels, meta.recipe.channels, meta.frames, meta.loop) == (2, 2, 24000, (0, 23999))


def test_info_files_says_what_a_wav_carries(tiny_bundle, tmp_path, capsys):
    code, out, err = _main(
        capsys, "generate", "steady rain", "-n", "1", "--seed", "9", "--duration", "0.5", "--stereo", "--loop", "100",
        "--lufs", "-20", "--out", str(tmp_path), "--bundle", str(tiny_bundle), "--json", "--threads", "1",
    )  # fmt: skip
    assert code == 0, err
    wav = json.loads(out)["files"][0]
    code, out, err = _main(capsys, "info", wav)
    assert code == 0, err
    assert "48 kHz / 24-bit stereo, loops frames 0-23999, 0.500 s" in out
    assert 'made with: sfxgen prompt "steady rain", seed 9' in out and "stereo (two draws)" in out
    code, out, _ = _main(capsys, "info", wav, "--json")
    d = json.loads(out)[wav]
    assert (d["channels"], d["loop"], d["recipe"]["seed"]) == (2, [0, 23999], 9)
    (tmp_path / "notes.wav").write_text("not audio")
    code, _, err = _main(capsys, "info", wav, str(tmp_path / "notes.wav"))
    assert code == 2 and "notes.wav: not a RIFF/WAVE file" in err
    code, _, err = _main(capsys, "info", str(tmp_path / "gone.wav"))
    assert code == 2 and "gone.wav does not exist" in err
