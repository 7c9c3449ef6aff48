"""Preset packs: shipped packs validate; broken packs fail naming file, sound and field."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from sfxgen.finishing import BitDepth
from sfxgen.presets import PackError, load_pack
from sfxgen.ucs import parse_ucs_name
from tests.helpers.packs import DOG, pack_toml, write_pack

REPO = Path(__file__).resolve().parents[2]
PACKS = sorted((REPO / "presets").glob("*.toml"))

GOOD = pack_toml("T", "PACK", {"duration": 0.5, "count": 2, "bit_depth": "pcm16"}, [DOG])


def test_at_least_three_shipped_packs_validate():
    assert len(PACKS) >= 3
    for path in PACKS:
        pack = load_pack(path)
        assert pack.total_files > 0
        for s in pack.sounds:
            for take in range(1, s.count + 1):
                parse_ucs_name(s.stem(pack.library, take) + ".wav")  # names validate against the UCS list


def test_shipped_packs_use_corpus_categories_or_say_aspirational():
    rules = REPO / "exporters" / "corpus" / "rules.toml"
    if not rules.exists():
        pytest.skip("corpus rules not in this checkout")
    captions = {c for cat in tomllib.loads(rules.read_text())["category"] for c in cat["captions"]}
    for path in PACKS:
        for s in load_pack(path).sounds:
            assert s.aspirational or s.prompt in captions, f"{path.name}: {s.name!r} is not a corpus caption"


def test_good_pack_resolves_defaults(tmp_path):
    pack = load_pack(write_pack(tmp_path, GOOD))
    (s,) = pack.sounds
    assert (s.count, s.duration, s.finish.bit_depth, s.seed) == (2, 0.5, BitDepth.PCM16, 0)
    assert pack.library.created == dt.datetime(2026, 2, 3, 4, 5, 6)
    assert s.stem(pack.library, 1) == "ANMLDog_Dog Bark_TST_PACK_01"


@pytest.mark.parametrize(
    "edit,match",
    [
        (
            ('catid = "ANMLDog"', 'catid = "ANMLDogg"'),
            r"sound 'Dog Bark' \(#1\): field 'catid': CatID 'ANMLDogg' is not",
        ),
        (('catid = "ANMLDog"', "catid = 42"), r"field 'catid': expected a non-empty string, got a int"),
        (("duration = 0.5", 'duration = "long"'), r"field 'duration': expected a number"),
        (("count = 2", "count = 2.5"), r"field 'count': expected an integer"),
        (("count = 2", "count = 0"), r"field 'count': 0 is out of range"),
        (('bit_depth = "pcm16"', 'bit_depth = "mp3"'), r"field 'bit_depth': 'mp3' is not one of"),
        (
            ('fxname = "Dog Bark"', 'fxname = "Dog Bark"\nimage = "missing.png"'),
            r"field 'image': image file .* does not exist",
        ),
        (
            ('fxname = "Dog Bark"', 'fxname = "Dog Bark"\nvolume = 3'),
            r"sound 'Dog Bark' \(#1\): unknown key\(s\) \['volume'\]",
        ),
        (('prompt = "a dog barking"', 'prompt = ""'), r"field 'prompt': a sound needs a prompt or an image"),
        (('creator_id = "TST"', 'creator_id = "__"'), r"CreatorID"),
        (("[defaults]", "[defaults]\nsampler = 'euler'"), r"field 'sampler': 'euler' is not one of"),
        (
            ('fxname = "Dog Bark"', 'fxname = "Dog Bark"\nloop_crossfade_ms = 500.0\ntrim_silence = true'),
            r"sound 'Dog Bark' \(#1\): a loop cannot have its silence trimmed",
        ),
        (('fxname = "Dog Bark"', 'fxname = "Dog Bark"\nchannels = 6'), r"field 'channels': 6 is out of range"),
        (
            ('fxname = "Dog Bark"', 'fxname = "Dog Bark"\nloop_crossfade_ms = 9000.0'),
            r"sound 'Dog Bark' \(#1\): field 'loop_crossfade_ms': 9000 ms is longer than the sound \(0.5 s\)",
        ),
    ],
)
def test_broken_pack_messages(tmp_path, edit, match):
    text = GOOD.replace(*edit)
    assert text != GOOD
    with pytest.raises(PackError, match=match) as info:
        load_pack(write_pack(tmp_path, text))
    assert str(tmp_path / "pack.toml") in str(info.value)


def test_duplicate_file_names(tmp_path):
    text = GOOD + '\n[[sound]]\nname = "again"\nprompt = "a dog growling"\ncatid = "ANMLDog"\nfxname = "dog bark"\n'
    with pytest.raises(
        PackError, match=r"sound 'again' \(#2\): field 'fxname': file name .* also produced by 'Dog Bark'"
    ):
        load_pack(write_pack(tmp_path, text))


def test_not_toml_and_empty(tmp_path):
    with pytest.raises(PackError, match="not valid TOML"):
        load_pack(write_pack(tmp_path, "[library\nname="))
    with pytest.raises(PackError, match=r"no \[\[sound\]\]"):
        load_pack(write_pack(tmp_path, GOOD.split("[[sound]]")[0]))
    with pytest.raises(PackError, match="cannot read"):
        load_pack(tmp_path / "missing.toml")


def _wav(path: Path, seconds: float = 0.75) -> Path:
    import numpy as np
    import soundfile as sf

    sf.write(path, 0.3 * np.random.default_rng(1).standard_normal(int(seconds * 48000)), 48000, subtype="PCM_16")
    return path


def test_strength_defaults_and_per_sound_override(tmp_path):
    rain = {"prompt": "heavy rain", "catid": "RAIN", "fxname": "Rain Heavy", "strength": 0.4}
    text = pack_toml("T", "PACK", {"duration": 0.5, "strength": 0.75}, [DOG, rain])
    dog, rain_spec = load_pack(write_pack(tmp_path, text)).sounds
    assert (dog.strength, rain_spec.strength) == (0.75, 0.4)
    assert load_pack(write_pack(tmp_path, GOOD)).sounds[0].strength is None  # the pipeline's default


def test_init_is_relative_to_the_pack_and_sets_the_default_duration(tmp_path):
    (tmp_path / "takes").mkdir()
    wav = _wav(tmp_path / "takes" / "bark.wav")
    sound = DOG | {"init": "takes/bark.wav", "strength": 0.5}
    (s,) = load_pack(write_pack(tmp_path, pack_toml("T", "PACK", {"count": 2}, [sound]))).sounds
    assert (s.init, s.strength, s.duration) == (wav.resolve(), 0.5, 0.75)  # no duration set: the sound's length
    (s,) = load_pack(write_pack(tmp_path, pack_toml("T", "PACK", {"duration": 1.0}, [sound]))).sounds
    assert (s.init, s.duration) == (wav.resolve(), 1.0)  # a duration in the pack wins
    assert load_pack(write_pack(tmp_path, GOOD)).sounds[0].init is None


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (("[defaults]", "[defaults]\nstrength = 0"), r"field 'strength': 0 is out of range \(0, 1\]"),
        (("[defaults]", "[defaults]\nstrength = 1.5"), r"field 'strength': 1.5 is out of range \(0, 1\]"),
        (
            ('fxname = "Dog Bark"', 'fxname = "Dog Bark"\nstrength = "half"'),
            r"sound 'Dog Bark' \(#1\): field 'strength': expected a number, got a str",
        ),
        (
            ('fxname = "Dog Bark"', 'fxname = "Dog Bark"\ninit = "takes/missing.wav"'),
            r"sound 'Dog Bark' \(#1\): field 'init': init sound .*missing.wav does not exist "
            r"\(paths are relative to the pack file\)",
        ),
        (('fxname = "Dog Bark"', 'fxname = "Dog Bark"\ninit = 3'), r"field 'init': expected a non-empty string"),
        (("[defaults]", '[defaults]\ninit = "x.wav"'), r"unknown key\(s\) \['init'\] in \[defaults\]"),
    ],
)
def test_bad_strength_and_init_name_file_sound_and_field(tmp_path, edit, match):
    text = GOOD.replace(*edit)
    assert text != GOOD
    with pytest.raises(PackError, match=match) as info:
        load_pack(write_pack(tmp_path, text))
    assert str(tmp_path / "pack.toml") in str(info.value)
