"""Preset-pack TOML for tests: one library (creator "TST", fixed creation time) and the sounds they share.

Values render one per line as ``key = value`` in the order given, so tests can break a pack with
plain text edits (``text.replace('catid = "RAIN"', 'catid = "RAINY"')``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

CREATED = dt.datetime(2026, 2, 3, 4, 5, 6)  # [library] created of every test pack

DOG = {"prompt": "a dog barking", "catid": "ANMLDog", "fxname": "Dog Bark"}
RAIN = {"prompt": "heavy rain", "catid": "RAIN", "fxname": "Rain Heavy"}


def _value(v: object) -> str:
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string for the plain text used in tests
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"no TOML rendering for {type(v).__name__} {v!r}")


def _table(header: str, fields: dict[str, object]) -> str:
    return "\n".join([header, *(f"{k} = {_value(v)}" for k, v in fields.items())]) + "\n"


def pack_toml(
    name: str,
    source_id: str,
    defaults: dict[str, object],
    sounds: list[dict[str, object]],
    designer: str | None = None,
    license: str | None = None,
) -> str:
    """Returns the text of a pack: [library], [defaults], then one [[sound]] per entry of ``sounds``."""
    library = {"name": name, **({"designer": designer} if designer is not None else {})}
    library |= {"license": license} if license is not None else {}
    library |= {"creator_id": "TST", "source_id": source_id, "created": CREATED}
    tables = [_table("[library]", library), _table("[defaults]", defaults)]
    tables += [_table("[[sound]]", s) for s in sounds]
    return "\n" + "\n".join(tables)


def write_pack(folder: Path, text: str, stem: str = "pack") -> Path:
    """Writes ``text`` to ``folder/<stem>.toml`` and returns that path."""
    path = folder / f"{stem}.toml"
    path.write_text(text)
    return path
