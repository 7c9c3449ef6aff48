"""History: the Qt-free store, and persistence across a window restart."""

from __future__ import annotations

import json

from tests.ui.panel_helpers import generate
from ui.history import HistoryStore


def test_store_search_favourite_rename(tmp_path):
    db = tmp_path / "h.sqlite3"
    with HistoryStore(db) as store:
        a = store.add(prompt="heavy door slam", file=tmp_path / "a.wav", seed=1, duration=2.0, created=1.0)
        store.add(prompt="rain on leaves", file=tmp_path / "b.wav", seed=2, duration=3.0, created=2.0)
        store.add(prompt="door creak 100%_sure", file=tmp_path / "c.wav", seed=3, duration=1.0, created=3.0)
        assert [e.seed for e in store.search()] == [3, 2, 1]  # newest first
        assert [e.seed for e in store.search("door")] == [3, 1]
        assert [e.seed for e in store.search("DOOR slam")] == [1]  # every word, case-insensitive
        assert [e.seed for e in store.search("100%_")] == [3]  # LIKE wildcards are literal
        assert store.search("%") == [store.get(3)]
        store.set_favourite(a.id, True)
        assert [e.seed for e in store.search(favourites_only=True)] == [1]
        store.rename(
            a.id, file=tmp_path / "DOORWood_Slam_SFXG_X.wav", name="DOORWood_Slam_SFXG_X", tags={"catid": "DOORWood"}
        )
        assert [e.seed for e in store.search("DOORWood")] == [1]
        assert store.prompts() == ["door creak 100%_sure", "rain on leaves", "heavy door slam"]


def test_history_survives_restart(qtbot, make_window, tmp_path):
    db = tmp_path / "persist.sqlite3"
    first = make_window(db=db)
    variations = generate(qtbot, first, "thunder rumble")
    first.toggle_favourite(variations[0])
    first.controller.shutdown()
    first.history.close()
    first.close()

    second = make_window(db=db)  # a new window, a new connection, the same file
    entries = second.history_view.entries()
    assert len(entries) == len(variations)
    assert {e.file for e in entries} == {v.path.resolve() for v in variations}
    assert all(e.exists for e in entries)
    fav = [e for e in entries if e.favourite]
    assert [e.seed for e in fav] == [variations[0].seed]
    recipe = json.loads(fav[0].recipe)
    assert recipe["prompt"] == "thunder rumble" and recipe["seed"] == variations[0].seed
    assert "thunder rumble" in second.controls.prompt_history()  # completion remembers prompts
    second.history_view.search.setText("thunder")
    second.history_view.reload()
    assert len(second.history_view.entries()) == len(variations)
    second.history_view.search.setText("no such sound")
    second.history_view.reload()
    assert second.history_view.entries() == []
    second.history_view.load_requested.emit(fav[0])  # history -> controls
    assert second.controls.prompt.text() == "thunder rumble"
    assert second.controls.seed.value() == variations[0].seed and second.controls.seed_lock.isChecked()
