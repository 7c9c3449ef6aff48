"""Which licences a rendered file carries, and whether a pack's declared licence honours them.

A file started from a library recording (the default for prompts) is a variation of that recording,
so the recording's terms may carry over to it; the manifest names each file's ``source_licence``.
A pack's ``license`` is what the designer grants on the rendered files: a recording under a licence
with conditions (attribution, share-alike, copyleft) is honoured only if the declared licence names
that licence. This is bookkeeping, not legal advice: it flags, it never relicenses.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Iterable

# Licences without conditions: a file derived from such a recording can carry any licence.
UNCONDITIONAL = frozenset({"cc0", "cc0-1.0", "public-domain", "pd"})

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]*")


def licence_counts(source_licences: Iterable[str]) -> dict[str, int]:
    """{licence: files} of the non-empty ``source_licence`` values, most files first."""
    counts = collections.Counter(lic for lic in source_licences if lic)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def unhonoured(declared: str, licences: Iterable[str]) -> list[str]:
    """The licences among ``licences`` whose conditions the ``declared`` licence does not name.

    An empty ``declared`` claims nothing, so it leaves nothing unhonoured: each file keeps its own.
    Comparison is by SPDX-like token, case-insensitive ("CC-BY-SA-3.0 / GPL-2+" names both).
    """
    if not declared.strip():
        return []
    named = {t.lower() for t in _TOKEN.findall(declared)}
    return sorted({lic for lic in licences if lic and lic.lower() not in UNCONDITIONAL and lic.lower() not in named})


def describe(counts: dict[str, int]) -> str:
    """ "CC-BY-SA-3.0 (12), GPL-2+ (3)" for a log line or a contact sheet."""
    return ", ".join(f"{lic} ({n})" for lic, n in counts.items())


def unhonoured_message(counts: dict[str, int], declared: str) -> str:
    """What a render tells the designer about files whose recordings' licences ``declared`` does not name."""
    return (
        f"{sum(counts.values())} file(s) are variations of library recordings under {describe(counts)}, "
        f"whose terms may apply to them and which the pack's license {declared!r} does not name "
        "(manifest column source_licence). Declare a licence that honours them, or set strength = 1 (model only)"
    )
