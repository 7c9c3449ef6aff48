"""Universal Category System (UCS v8.2.1): category list, CatID checks and UCS file names.

The list ships as ``sfxgen/data/ucs.csv`` (753 CatIDs in 82 categories; see
``sfxgen/data/UCS_SOURCE.md`` for where it comes from and its public-domain status).

File names follow the UCS convention ``CatID_FXName_CreatorID_SourceID`` with an optional
take number as a trailing user-data block (``_01``): the CatID must be in the list (it is
case-sensitive), ``_`` only separates blocks, and every block is ASCII-safe so the name works
on every filesystem and in every library tool.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import functools
import re
import unicodedata
from importlib import resources

UCS_VERSION = "8.2.1"
FXNAME_MAX = 64  # hard limit on FXName characters (UCS recommends under 25)
ID_MAX = 24  # hard limit on CreatorID / SourceID characters
_BAD_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f_]')  # Windows-reserved, controls, NUL, path seps, and '_'
_ID_CHARS = re.compile(r"[^A-Za-z0-9-]")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


class UcsError(ValueError):
    """An unknown CatID or a name that cannot be made UCS-safe."""


@dataclasses.dataclass(frozen=True)
class UcsEntry:
    """One row of the UCS list."""

    catid: str  # e.g. "DOORWood" (case-sensitive)
    category: str  # e.g. "DOORS"
    subcategory: str  # e.g. "WOOD"
    cat_short: str  # e.g. "DOOR"

    @property
    def category_full(self) -> str:
        """UCS CategoryFull, e.g. "DOORS-WOOD"."""
        return f"{self.category}-{self.subcategory}"


@functools.cache
def load_ucs() -> dict[str, UcsEntry]:
    """The shipped UCS list as ``{CatID: UcsEntry}`` (file order)."""
    text = resources.files("sfxgen").joinpath("data/ucs.csv").read_text(encoding="utf-8")
    out: dict[str, UcsEntry] = {}
    for row in csv.DictReader(text.splitlines()):
        entry = UcsEntry(row["CatID"], row["Category"], row["SubCategory"], row["CatShort"])
        if entry.catid in out:
            raise UcsError(f"ucs.csv: duplicate CatID {entry.catid!r}")
        out[entry.catid] = entry
    return out


def is_valid_catid(catid: str) -> bool:
    return catid in load_ucs()


def lookup(catid: str) -> UcsEntry:
    """The UCS entry of ``catid``; :class:`UcsError` with suggestions if it is not in the list."""
    table = load_ucs()
    if catid in table:
        return table[catid]
    by_lower = {k.lower(): k for k in table}
    if isinstance(catid, str) and catid.lower() in by_lower:
        raise UcsError(
            f"CatID {catid!r} has the wrong case: UCS CatIDs are case-sensitive, use {by_lower[catid.lower()]!r}"
        )
    close = difflib.get_close_matches(str(catid), list(table), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else "; see sfxgen/data/ucs.csv for the list"
    raise UcsError(f"CatID {catid!r} is not in the UCS {UCS_VERSION} list{hint}")


def find(query: str, limit: int = 10) -> list[UcsEntry]:
    """CatIDs whose category, subcategory or CatID contain every word of ``query`` (case-insensitive)."""
    words = query.lower().split()
    hits = [
        e for e in load_ucs().values() if all(w in f"{e.catid} {e.category} {e.subcategory}".lower() for w in words)
    ]
    return hits[:limit]


def _ascii(text: str) -> str:
    """Fold accents and drop what has no ASCII form ("Café" -> "Cafe")."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def sanitize_fxname(name: str, max_len: int = FXNAME_MAX) -> str:
    """A UCS-safe FXName: ASCII, no path separators/NUL/controls/reserved characters, no ``_``.

    Underscores and forbidden characters become spaces, whitespace collapses, trailing dots
    and spaces go (Windows), and the result is cut to ``max_len`` at a word boundary if possible.

    Raises:
        UcsError: nothing usable is left (e.g. an empty or all-symbol name).
    """
    text = re.sub(r"\.{2,}", " ", _BAD_CHARS.sub(" ", _ascii(str(name))))  # no ".." runs
    text = " ".join(text.split()).strip(" .")
    if len(text) > max_len:
        cut = text[:max_len]
        text = (cut.rsplit(" ", 1)[0] if " " in cut[max_len // 2 :] else cut).strip(" .")
    if not text or text.upper() in _WINDOWS_RESERVED:
        raise UcsError(f"FXName {name!r} has no usable characters; use letters and digits, e.g. 'Door Slam Heavy'")
    return text


def sanitize_id(value: str, what: str = "CreatorID", max_len: int = ID_MAX) -> str:
    """A UCS CreatorID/SourceID block: ASCII letters, digits and ``-`` only (spaces dropped)."""
    text = _ID_CHARS.sub("", _ascii(str(value)))[:max_len]
    if not text:
        raise UcsError(f"{what} {value!r} is empty after removing unsafe characters; use letters/digits, e.g. 'SFXG'")
    return text


def ucs_stem(catid: str, fxname: str, creator_id: str, source_id: str, take: int | None = None) -> str:
    """``CatID_FXName_CreatorID_SourceID[_NN]`` without extension; validates the CatID."""
    entry = lookup(catid)
    parts = [
        entry.catid,
        sanitize_fxname(fxname),
        sanitize_id(creator_id, "CreatorID"),
        sanitize_id(source_id, "SourceID"),
    ]
    if take is not None:
        if not isinstance(take, int) or isinstance(take, bool) or not 0 <= take <= 9999:
            raise UcsError(f"take {take!r} must be an integer in 0..9999")
        parts.append(f"{take:02d}")
    return "_".join(parts)


def ucs_filename(
    catid: str, fxname: str, creator_id: str, source_id: str, take: int | None = None, ext: str = ".wav"
) -> str:
    """UCS file name, e.g. ``ucs_filename("DOORWood", "Slam Heavy", "SFXG", "FOLEY", 1)`` ->
    ``"DOORWood_Slam Heavy_SFXG_FOLEY_01.wav"``."""
    return ucs_stem(catid, fxname, creator_id, source_id, take) + ext


@dataclasses.dataclass(frozen=True)
class UcsName:
    """A parsed UCS file name."""

    catid: str
    fxname: str
    creator_id: str
    source_id: str
    user_data: str  # "" or the trailing block(s), e.g. the take number "01"


def parse_ucs_name(name: str) -> UcsName:
    """Split a UCS file name (with or without extension) and validate its CatID."""
    stem = name.rsplit("/", 1)[-1]
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    blocks = stem.split("_")
    if len(blocks) < 4 or not all(blocks[:4]):
        raise UcsError(f"{name!r} is not CatID_FXName_CreatorID_SourceID")
    lookup(blocks[0])
    return UcsName(blocks[0], blocks[1], blocks[2], blocks[3], "_".join(blocks[4:]))
