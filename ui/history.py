"""Generation history: every finished variation, persisted in SQLite.

Qt-free on purpose (napari style): the panel wraps it, tests use it directly.
The database lives in the user data directory (``platformdirs``) unless a
path is given, so history survives restarts. Each row keeps the full recipe
(JSON) so any sound in the history can be regenerated bit-identically.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "sfxgen"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created     REAL    NOT NULL,            -- unix time
    prompt      TEXT    NOT NULL,
    blend_prompt TEXT   NOT NULL DEFAULT '',
    blend       REAL    NOT NULL DEFAULT 0,
    image_path  TEXT,
    file        TEXT    NOT NULL,            -- absolute path of the finished WAV
    seed        INTEGER NOT NULL,
    duration    REAL    NOT NULL,            -- seconds
    sample_rate INTEGER NOT NULL DEFAULT 0,
    bundle_id   TEXT    NOT NULL DEFAULT '',
    recipe      TEXT    NOT NULL DEFAULT '{}',  -- Recipe JSON: regenerates the file
    favourite   INTEGER NOT NULL DEFAULT 0,
    name        TEXT    NOT NULL DEFAULT '',    -- user name (UCS file stem after a rename)
    tags        TEXT    NOT NULL DEFAULT '{}'   -- UCS / iXML fields as JSON
);
CREATE INDEX IF NOT EXISTS generations_created ON generations (created);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def default_db_path() -> Path:
    """``<user data dir>/sfxgen/history.sqlite3`` (created on first use)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "history.sqlite3"


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    """One finished variation as stored in the history."""

    id: int
    created: float  # unix time
    prompt: str
    blend_prompt: str
    blend: float
    image_path: str | None
    file: Path
    seed: int
    duration: float  # seconds
    sample_rate: int
    bundle_id: str
    recipe: str  # Recipe JSON
    favourite: bool
    name: str
    tags: dict[str, Any]

    @property
    def exists(self) -> bool:
        return self.file.is_file()

    def recipe_dict(self) -> dict[str, Any]:
        try:
            value = json.loads(self.recipe)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


_COLUMNS = (
    "id, created, prompt, blend_prompt, blend, image_path, file, seed, duration, sample_rate, "
    "bundle_id, recipe, favourite, name, tags"
)


def _entry(row: tuple) -> HistoryEntry:
    (
        id_,
        created,
        prompt,
        blend_prompt,
        blend,
        image_path,
        file,
        seed,
        duration,
        sr,
        bundle_id,
        recipe,
        fav,
        name,
        tags,
    ) = row
    return HistoryEntry(
        id=id_,
        created=created,
        prompt=prompt,
        blend_prompt=blend_prompt,
        blend=blend,
        image_path=image_path,
        file=Path(file),
        seed=seed,
        duration=duration,
        sample_rate=sr,
        bundle_id=bundle_id,
        recipe=recipe,
        favourite=bool(fav),
        name=name,
        tags=json.loads(tags or "{}"),
    )


class HistoryStore:
    """SQLite-backed history of generations; safe to share between threads.

    Args:
        path: database file; ``None`` uses :func:`default_db_path`.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False)
        with self._lock, self._db:
            self._db.executescript(_SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        version = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
        if int(version) != SCHEMA_VERSION:
            raise RuntimeError(
                f"history database {self.path} has schema version {version}, this sfxgen reads {SCHEMA_VERSION}; "
                "move the file away to start a fresh history"
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------------------------
    def add(
        self,
        *,
        prompt: str,
        file: str | Path,
        seed: int,
        duration: float,
        sample_rate: int = 0,
        blend_prompt: str = "",
        blend: float = 0.0,
        image_path: str | Path | None = None,
        bundle_id: str = "",
        recipe: str = "{}",
        tags: dict[str, Any] | None = None,
        created: float | None = None,
    ) -> HistoryEntry:
        """Record one finished file; returns the stored entry."""
        row = (
            time.time() if created is None else created,
            prompt,
            blend_prompt,
            float(blend),
            None if image_path is None else str(image_path),
            str(Path(file).resolve()),
            int(seed),
            float(duration),
            int(sample_rate),
            bundle_id,
            recipe,
            json.dumps(tags or {}),
        )
        with self._lock, self._db:
            cur = self._db.execute(
                "INSERT INTO generations (created, prompt, blend_prompt, blend, image_path, file, seed, duration, "
                "sample_rate, bundle_id, recipe, tags) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                row,
            )
            new_id = cur.lastrowid
        return self.get(new_id)

    def set_favourite(self, entry_id: int, favourite: bool) -> None:
        with self._lock, self._db:
            self._db.execute("UPDATE generations SET favourite=? WHERE id=?", (int(favourite), entry_id))

    def rename(self, entry_id: int, *, file: str | Path, name: str, tags: dict[str, Any]) -> HistoryEntry:
        """Record a rename (new file path, display name and UCS tags)."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE generations SET file=?, name=?, tags=? WHERE id=?",
                (str(Path(file).resolve()), name, json.dumps(tags), entry_id),
            )
        return self.get(entry_id)

    def delete(self, entry_ids: Iterable[int]) -> None:
        with self._lock, self._db:
            self._db.executemany("DELETE FROM generations WHERE id=?", [(i,) for i in entry_ids])

    # -- reading ---------------------------------------------------------------------------------------------
    def get(self, entry_id: int) -> HistoryEntry:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM generations WHERE id=?", (entry_id,)).fetchone()
        if row is None:
            raise KeyError(f"no history entry with id {entry_id}")
        return _entry(row)

    def search(self, text: str = "", *, favourites_only: bool = False, limit: int = 500) -> list[HistoryEntry]:
        """Newest first; ``text`` matches prompt, blend prompt, name, file and tags (every word must match)."""
        where, args = [], []
        for word in text.split():
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            like = f"%{escaped}%"
            where.append(
                "(prompt LIKE ? ESCAPE '\\' OR blend_prompt LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' "
                "OR file LIKE ? ESCAPE '\\' OR tags LIKE ? ESCAPE '\\')"
            )
            args += [like] * 5
        if favourites_only:
            where.append("favourite=1")
        sql = f"SELECT {_COLUMNS} FROM generations"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created DESC, id DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(sql, (*args, int(limit))).fetchall()
        return [_entry(r) for r in rows]

    def prompts(self, limit: int = 200) -> list[str]:
        """Distinct prompts, most recently used first (for completion)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT prompt FROM generations WHERE prompt != '' GROUP BY prompt ORDER BY MAX(created) DESC LIMIT ?",
                (int(limit),),
            ).fetchall()
        return [r[0] for r in rows]

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM generations").fetchone()[0])
