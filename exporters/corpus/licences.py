"""Per-file licences from a Debian machine-readable (DEP-5) copyright file."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

_ALIASES = {"CC-BY-SA-3": "CC-BY-SA-3.0", "CC-BY-3": "CC-BY-3.0"}  # spellings seen in Debian copyright files


@dataclass(frozen=True)
class FilesStanza:
    """One ``Files:`` paragraph: its glob patterns and the short licence name."""

    patterns: tuple[str, ...]
    licence: str


def parse_dep5(text: str) -> tuple[FilesStanza, ...]:
    """Return the ``Files:`` stanzas of a DEP-5 copyright text, in file order (empty if not DEP-5)."""
    stanzas: list[FilesStanza] = []
    for para in re.split(r"\n\s*\n", text):
        fields: dict[str, list[str]] = {}
        key = ""
        for line in para.splitlines():
            if line[:1] in (" ", "\t"):
                if key:
                    fields[key].append(line.strip())
                continue
            if ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                fields[key] = [value.strip()]
        if "files" in fields and "license" in fields:
            patterns = tuple(p for part in fields["files"] for p in part.split() if p)
            licence = fields["license"][0].strip()
            licence = _ALIASES.get(licence, licence)
            if patterns and licence:
                stanzas.append(FilesStanza(patterns, licence))
    return tuple(stanzas)


@dataclass(frozen=True)
class LicenceMap:
    """Resolves the licence of an installed file; the last matching stanza wins (DEP-5 rule)."""

    default: str
    stanzas: tuple[FilesStanza, ...] = ()
    prefix: tuple[str, str] = ("", "")  # (installed prefix, upstream prefix)

    @classmethod
    def from_copyright(cls, path: Path, default: str, prefix: tuple[str, str] = ("", "")) -> LicenceMap:
        """Read ``path`` if it exists; fall back to ``default`` for files no stanza covers."""
        stanzas = parse_dep5(path.read_text(encoding="utf-8", errors="replace")) if path.is_file() else ()
        return cls(default, stanzas, prefix)

    def licence_for(self, installed_path: str) -> str:
        """Licence of ``installed_path`` (relative to the package root, archive members joined with '/')."""
        inst, up = self.prefix
        if not inst or not installed_path.startswith(inst):
            return self.default  # no known mapping to upstream paths: only the package default is safe
        upstream = up + installed_path[len(inst) :]
        found = self.default
        for stanza in self.stanzas:
            if any(_dep5_match(p, upstream) for p in stanza.patterns):
                found = stanza.licence
        return found


def _dep5_match(pattern: str, path: str) -> bool:
    """DEP-5 glob: ``*`` and ``?`` match any characters including '/'."""
    return fnmatch.fnmatchcase(path, pattern)
