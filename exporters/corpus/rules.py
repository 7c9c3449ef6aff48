"""The reviewed rule table (``rules.toml``): path regex -> category, with captions and a UCS CatID.

Rules are tried in file order; the first whose ``package`` (if given) and ``pattern`` match wins.
Patterns are searched case-insensitively in the clip's source path. A rule whose category is
``SKIP`` excludes the file on purpose (speech, music, UI); a file no rule matches is excluded too.
A rule may give ``captions`` of its own: what its files are more exactly than their category says
("a door creaking" in ``door``), recorded per clip as ``file_captions`` (see ``clip_captions``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

RULES_PATH = Path(__file__).with_name("rules.toml")
SKIP = "SKIP"
CATID_RE = re.compile(r"^[A-Z]{3,}[A-Za-z]*$")
SLUG_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Category:
    """A training category: slug, UCS CatID, natural-language captions."""

    slug: str
    catid: str
    captions: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """Maps source paths matching ``pattern`` (optionally within one package) to a category slug."""

    pattern: re.Pattern[str]
    category: str
    package: str | None = None
    captions: tuple[str, ...] = ()  # what these files are more exactly than the category's captions say

    def matches(self, package: str, path: str) -> bool:
        """Whether this rule applies to ``path`` of ``package``."""
        return (self.package is None or self.package == package) and self.pattern.search(path) is not None


@dataclass(frozen=True)
class RuleTable:
    """Categories plus the ordered rules that assign files to them."""

    categories: dict[str, Category]
    rules: tuple[Rule, ...] = field(default=())

    def match(self, package: str, path: str) -> Rule | None:
        """The first rule that applies to a file, or ``None``."""
        return next((rule for rule in self.rules if rule.matches(package, path)), None)

    def classify(self, package: str, path: str) -> str | None:
        """Category slug for a file, ``SKIP`` for a deliberate exclusion, ``None`` when no rule matches."""
        rule = self.match(package, path)
        return None if rule is None else rule.category


def clip_captions(row: dict) -> list[str]:
    """The captions a corpus manifest row is described by: its rule's own (``file_captions``), else its category's.

    The library and training use these; the evaluation keeps the category's (``captions``), so its prompts
    stay one per category.
    """
    return list(row.get("file_captions") or row.get("captions") or [])


def load_rules(path: Path = RULES_PATH) -> RuleTable:
    """Parse and validate a rule file; raise ``ValueError`` with the offending entry on any problem."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - {"category", "rule"}
    if unknown:
        raise ValueError(f"{path}: unknown top-level keys {sorted(unknown)}")
    categories: dict[str, Category] = {}
    for entry in data.get("category", []):
        _check_keys(entry, {"slug", "catid", "captions"}, path)
        cat = Category(entry["slug"], entry["catid"], tuple(entry["captions"]))
        if not SLUG_RE.match(cat.slug):
            raise ValueError(f"{path}: bad category slug {cat.slug!r}")
        if cat.slug in categories:
            raise ValueError(f"{path}: duplicate category {cat.slug!r}")
        if not CATID_RE.match(cat.catid):
            raise ValueError(f"{path}: bad UCS CatID {cat.catid!r} for {cat.slug}")
        if not 2 <= len(cat.captions) <= 4 or not all(c.strip() for c in cat.captions):
            raise ValueError(f"{path}: category {cat.slug} needs 2-4 non-empty captions")
        categories[cat.slug] = cat
    rules: list[Rule] = []
    for entry in data.get("rule", []):
        _check_keys(entry, {"pattern", "category", "package", "captions"}, path, required={"pattern", "category"})
        if entry["category"] != SKIP and entry["category"] not in categories:
            raise ValueError(f"{path}: rule {entry['pattern']!r} names unknown category {entry['category']!r}")
        captions = tuple(entry.get("captions", ()))
        if "captions" in entry and (
            entry["category"] == SKIP or not 1 <= len(captions) <= 4 or not all(str(c).strip() for c in captions)
        ):
            raise ValueError(f"{path}: rule {entry['pattern']!r} needs 1-4 non-empty captions (and no SKIP)")
        try:
            pattern = re.compile(entry["pattern"], re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"{path}: rule pattern {entry['pattern']!r} does not compile: {exc}") from exc
        rules.append(Rule(pattern, entry["category"], entry.get("package"), captions))
    return RuleTable(categories, tuple(rules))


def _check_keys(entry: dict, allowed: set[str], path: Path, required: set[str] | None = None) -> None:
    extra = set(entry) - allowed
    missing = (required if required is not None else allowed) - set(entry)
    if extra or missing:
        raise ValueError(f"{path}: entry {entry} has unknown keys {sorted(extra)} / lacks {sorted(missing)}")
