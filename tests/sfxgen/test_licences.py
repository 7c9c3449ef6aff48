from __future__ import annotations

from sfxgen.licences import describe, licence_counts, unhonoured, unhonoured_message


def test_counts_skip_files_without_a_recording_and_sort_by_files():
    counts = licence_counts(["GPL-2+", "", "CC-BY-SA-3.0", "CC-BY-SA-3.0", "CC0"])
    assert list(counts.items()) == [("CC-BY-SA-3.0", 2), ("CC0", 1), ("GPL-2+", 1)]
    assert describe(counts) == "CC-BY-SA-3.0 (2), CC0 (1), GPL-2+ (1)"


def test_unhonoured_names_conditional_licences_the_declared_one_leaves_out():
    found = ["CC-BY-SA-3.0", "GPL-2+", "CC0", "public-domain", "CC0-1.0", ""]
    assert unhonoured("CC0-1.0", found) == ["CC-BY-SA-3.0", "GPL-2+"]
    assert unhonoured("CC-BY-SA-3.0 / GPL-2+", found) == []  # SPDX-like tokens, any separator
    assert unhonoured("cc-by-sa-3.0", found) == ["GPL-2+"]  # case-insensitive
    assert unhonoured("GPL-2", ["GPL-2+"]) == ["GPL-2+"]  # "or later" is another licence string
    assert unhonoured("", found) == [] and unhonoured("  ", found) == []  # nothing declared, nothing claimed


def test_message_says_what_to_do():
    msg = unhonoured_message({"GPL-2+": 3}, "CC0-1.0")
    assert msg.startswith("3 file(s) are variations of library recordings under GPL-2+ (3)")
    assert "'CC0-1.0' does not name" in msg and "strength = 1" in msg
