"""The reviewed rule table loads, is valid, and covers the prompts the default model must know."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporters.corpus.gm import gm_notes
from exporters.corpus.rules import CATID_RE, SKIP, load_rules

TABLE = load_rules()


def test_every_rule_and_category_is_valid() -> None:
    assert len(TABLE.rules) > 50
    for rule in TABLE.rules:
        assert rule.category == SKIP or rule.category in TABLE.categories
    for cat in TABLE.categories.values():
        assert CATID_RE.match(cat.catid), cat
        assert 2 <= len(cat.captions) <= 4, cat
    assert {n.category for n in gm_notes()} <= set(TABLE.categories)


@pytest.mark.parametrize(
    ("slug", "phrase"),
    [
        ("dog_bark", "a dog barking"),
        ("footsteps_gravel", "footsteps on gravel"),
        ("glass_break", "glass breaking"),
        ("rain", "heavy rain"),
        ("sword_clash", "a sword clash"),
        ("car_engine", "a car engine idling"),
    ],
)
def test_required_prompts_are_captions(slug: str, phrase: str) -> None:
    assert phrase in TABLE.categories[slug].captions


@pytest.mark.parametrize(
    ("package", "path", "expected"),
    [
        ("ufoai-sound", "usr/share/games/ufoai/base/0snd.pk3:sound/footsteps/gravel3.ogg", "footsteps_gravel"),
        ("0ad-data", "usr/share/games/0ad/mods/public/public.zip:audio/attack/weapon/swordhit_12b.ogg", "sword_clash"),
        ("lugaru-data", "usr/share/games/lugaru/Sounds/Bark2.ogg", "dog_bark"),
        ("torcs-data", "usr/share/games/torcs/data/sound/porsche_engine.wav", "car_engine"),
        ("0ad-data", "usr/share/games/0ad/mods/public/public.zip:audio/music/common/x.ogg", SKIP),
        ("tuxpaint-stamps-default", "usr/share/tuxpaint/stamps/hobbies/music/string/violin.ogg", "violin"),
        ("widelands-data", "usr/share/games/widelands/data/sound/message_00.ogg", None),
        (
            "minetest-data",
            "usr/share/games/minetest/games/minetest_game/mods/default/sounds/default_gravel_footstep.3.ogg",
            "footsteps_gravel",
        ),
        (
            "minetest-data",
            "usr/share/games/minetest/games/minetest_game/mods/default/sounds/default_place_node.1.ogg",
            SKIP,
        ),
        ("freedroidrpg-data", "usr/share/freedroidrpg/data/sound/effects/Glass_Break.ogg", "glass_break"),
        (
            "gcompris-qt-data",
            "usr/share/gcompris-qt/rcc/memory-sound.rcc:gcompris/src/activities/memory-sound/resource/LRBark_1_LA_cut.ogg",
            "dog_bark",
        ),
        (
            "gcompris-qt-data",
            "usr/share/gcompris-qt/rcc/explore_farm_animals.rcc:gcompris/src/activities/explore_farm_animals/resource/animals/cat.ogg",
            "cat_meow",
        ),
        ("qabcs-data", "usr/share/qabcs/abcs/all/noises/dog.ogg", "dog_bark"),
        ("qabcs-data", "usr/share/qabcs/abcs/all/noises/dogmatix.ogg", SKIP),  # a cartoon dog, not "dog"
        ("qabcs-data", "usr/share/qabcs/abcs/all/noises/electric_guitar.ogg", "electric_guitar"),
        ("qabcs-data", "usr/share/qabcs/abcs/all/noises/crane.ogg", SKIP),  # the bird or the machine?
        ("scratch", "usr/share/scratch/Media/Sounds/Animal/Dog2.wav", "dog_bark"),
        ("scratch", "usr/share/scratch/Media/Sounds/Animal/Meow.wav", "cat_meow"),
        ("scratch", "usr/share/scratch/Media/Sounds/Animal/HorseGallop.wav", "horse_hooves"),
        ("scratch", "usr/share/scratch/Media/Sounds/Music Loops/Drum.mp3", SKIP),
    ],
)
def test_classify_examples(package: str, path: str, expected: str | None) -> None:
    assert TABLE.classify(package, path) == expected


def test_bad_rule_file_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text('[[category]]\nslug = "x"\ncatid = "bad"\ncaptions = ["a", "b"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="CatID"):
        load_rules(bad)
    bad.write_text('[[rule]]\npattern = "("\ncategory = "SKIP"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="compile"):
        load_rules(bad)
