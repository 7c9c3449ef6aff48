"""UCS list and names: 753 CatIDs / 82 categories, CatID validation, safe file names."""

from __future__ import annotations

import pytest

from sfxgen.ucs import (
    UcsError,
    find,
    is_valid_catid,
    load_ucs,
    lookup,
    parse_ucs_name,
    sanitize_fxname,
    sanitize_id,
    ucs_filename,
)


def test_list_size_matches_ucs_8_2():
    table = load_ucs()
    assert len(table) == 753
    assert len({e.category for e in table.values()}) == 82
    assert all(e.catid.startswith(e.cat_short) for e in table.values())


@pytest.mark.parametrize(
    "catid,category,sub",
    [
        ("DOORWood", "DOORS", "WOOD"),
        ("AIRBlow", "AIR", "BLOW"),
        ("RAIN", "RAIN", "GENERAL"),
        ("WOODTonl", "WOOD", "TONAL"),
        ("AMBRest", "AMBIENCE", "RESTAURANT & BAR"),
        ("FEETHmn", "FOOTSTEPS", "HUMAN"),
    ],
)
def test_lookup(catid, category, sub):
    e = lookup(catid)
    assert (e.category, e.subcategory) == (category, sub)
    assert e.category_full == f"{category}-{sub}"


def test_unknown_and_wrong_case():
    with pytest.raises(UcsError, match=r"case-sensitive.*DOORWood"):
        lookup("doorwood")
    with pytest.raises(UcsError, match=r"did you mean.*DOORWood"):
        lookup("DOORWod")
    assert not is_valid_catid("XXXXNope")
    assert [e.catid for e in find("door wood")] == ["DOORWood"]


def test_filename_and_parse():
    name = ucs_filename("DOORWood", "Slam Heavy", "SFXG", "FOLEY", 1)
    assert name == "DOORWood_Slam Heavy_SFXG_FOLEY_01.wav"
    p = parse_ucs_name(name)
    assert (p.catid, p.fxname, p.creator_id, p.source_id, p.user_data) == (
        "DOORWood",
        "Slam Heavy",
        "SFXG",
        "FOLEY",
        "01",
    )
    assert ucs_filename("RAIN", "Rain", "A", "B", take=None, ext="") == "RAIN_Rain_A_B"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("door_slam/../etc", "door slam etc"),
        ("Café\x00 crème", "Cafe creme"),
        ('a<b>c:"d|e?*', "a b c d e"),
        ("  spaced   out. ", "spaced out"),
        ("x" * 100, "x" * 64),
    ],
)
def test_sanitize_fxname(raw, expected):
    out = sanitize_fxname(raw)
    assert out == expected
    assert "_" not in out and "/" not in out and "\\" not in out and out.isascii()


@pytest.mark.parametrize("raw", ["", "___", "///", "CON", "😀"])
def test_sanitize_fxname_refuses_empty(raw):
    with pytest.raises(UcsError):
        sanitize_fxname(raw)


def test_sanitize_id_and_bad_take():
    assert sanitize_id("My Studio_01") == "MyStudio01"
    with pytest.raises(UcsError):
        sanitize_id("__")
    with pytest.raises(UcsError, match=r"take"):
        ucs_filename("RAIN", "Rain", "A", "B", take=-1)
    with pytest.raises(UcsError):
        parse_ucs_name("NOPE_x_y_z.wav")
