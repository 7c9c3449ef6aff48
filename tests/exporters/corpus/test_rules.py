"""The reviewed rule table loads, is valid, and covers the prompts the default model must know."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporters.corpus.gm import gm_notes
from exporters.corpus.rules import CATID_RE, SKIP, clip_captions, load_rules

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


UFO = "usr/share/games/ufoai/base/0snd.pk3:sound/"
QABCS = "usr/share/qabcs/abcs/all/noises/"


@pytest.mark.parametrize(
    ("package", "path", "category", "caption"),
    [
        ("ufoai-sound", UFO + "doors/door2-close.ogg", "door", "a door slams shut"),
        ("ufoai-sound", UFO + "doors/door3-open.ogg", "door", "a door opening"),
        ("ufoai-sound", UFO + "doors/creak_low_short.ogg", "door", "a door creaking"),
        ("ufoai-sound", UFO + "doors/open_close.ogg", "door", None),  # the category's captions
        ("scratch", "usr/share/scratch/Media/Sounds/Effects/DoorCreak.wav", "door", "a door creaking"),
        ("minetest-data", "x/mods/doors/sounds/doors_steel_door_open.ogg", "door", "a door opening"),
        (
            "wesnoth-1.16-data",
            "usr/share/games/wesnoth/1.16/data/core/sounds/wolf-growl-2.ogg",
            "wolf",
            "a wolf growling",
        ),
        ("scratch", "usr/share/scratch/Media/Sounds/Animal/WolfHowl.wav", "wolf", "a wolf howling"),
        ("qabcs-data", QABCS + "tiger.ogg", "big_cat", "a tiger roaring"),
        ("qabcs-data", QABCS + "lynx.ogg", "big_cat", None),
        ("qabcs-data", QABCS + "eagle-owl.ogg", "bird_of_prey", "an owl hooting"),
        ("qabcs-data", QABCS + "vulture.ogg", "bird_of_prey", None),
        ("ufoai-sound", UFO + "weapons/bullet-pistol2.ogg", "gunshot", "a pistol shot"),
        ("ufoai-sound", UFO + "weapons/bullet-bolter.ogg", "gunshot", None),
        ("ufoai-sound", UFO + "weapons/explosion-grenade.ogg", "explosion", "a grenade explosion"),
    ],
)
def test_rule_captions_say_what_a_file_is_within_its_category(package, path, category, caption) -> None:
    rule = TABLE.match(package, path)
    assert rule is not None and rule.category == category
    assert (rule.captions[0] if rule.captions else None) == caption


def test_a_row_is_described_by_its_rule_captions_else_its_category() -> None:
    cat = ["a door opening", "a door closing"]
    assert clip_captions({"captions": cat, "file_captions": ["a door creaking"]}) == ["a door creaking"]
    assert clip_captions({"captions": cat}) == cat and clip_captions({"captions": cat, "file_captions": []}) == cat


def test_rule_captions_are_checked(tmp_path: Path) -> None:
    head = '[[category]]\nslug = "door"\ncatid = "DOORWood"\ncaptions = ["a door", "doors"]\n'
    bad = tmp_path / "rules.toml"
    for rule in (
        'category = "door"\ncaptions = []',
        'category = "door"\ncaptions = [" "]',
        'category = "SKIP"\ncaptions = ["x"]',
    ):
        bad.write_text(head + f'[[rule]]\npattern = "d"\n{rule}\n', encoding="utf-8")
        with pytest.raises(ValueError, match="1-4 non-empty captions"):
            load_rules(bad)
