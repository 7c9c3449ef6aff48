"""The Max patch: valid JSON patcher, objects with the right inlets/outlets, wired as the README says.

Beyond structure, a tiny interpreter runs the patch's message objects (route, zl nth, prepend, pack)
on a real bridge reply and a real request, so the wiring is checked against the bridge's own
address space and argument validation.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from sfxgen.osc import addresses as A
from sfxgen.osc.validate import parse_generate

PATCH = Path(__file__).resolve().parents[2] / "integrations" / "max" / "sfxgen.maxpat"
README = PATCH.with_name("README.md")

# (numinlets, numoutlets) of the Max 8 objects the patch uses; None = depends on the arguments.
SPECS: dict[str, tuple[int, int] | None] = {
    "udpsend": (1, 0),
    "udpreceive": (1, 1),
    "buffer~": (1, 2),
    "groove~": (3, 2),
    "dac~": (2, 0),
    "zl": (2, 2),
    "prepend": (2, 1),
    "sig~": (1, 1),
    "*~": (2, 1),
    "print": (1, 0),
    "counter": (5, 4),
    "tosymbol": (1, 1),
    "loadmess": (1, 1),
    "loadbang": (1, 1),
    "route": None,
    "pack": None,
    "t": None,
}


@pytest.fixture(scope="module")
def patch() -> dict[str, Any]:
    return json.loads(PATCH.read_text(encoding="utf-8"))["patcher"]


@pytest.fixture(scope="module")
def boxes(patch) -> dict[str, dict[str, Any]]:
    return {b["box"]["id"]: b["box"] for b in patch["boxes"]}


@pytest.fixture(scope="module")
def wires(patch) -> list[tuple[str, int, str, int]]:
    return [(*w["patchline"]["source"], *w["patchline"]["destination"]) for w in patch["lines"]]


def by_text(boxes, prefix: str, *, exact: bool = False) -> dict[str, Any]:
    found = [
        b
        for b in boxes.values()
        if b.get("maxclass") == "newobj"
        and (b.get("text") == prefix or (not exact and b.get("text", "").startswith(prefix + " ")))
    ]
    assert len(found) == 1, f"expected one [{prefix} ...], found {len(found)}"
    return found[0]


def test_boxes_are_well_formed(patch, boxes):
    assert patch["fileversion"] == 1 and patch["appversion"]["major"] >= 8
    assert len(boxes) == len(patch["boxes"])  # ids unique
    for b in boxes.values():
        assert isinstance(b["numinlets"], int) and isinstance(b["numoutlets"], int)
        assert len(b["patching_rect"]) == 4 and all(isinstance(v, float) for v in b["patching_rect"])
        assert len(b.get("outlettype", [])) == b["numoutlets"], b["id"]
        if b["maxclass"] == "newobj":
            name, *args = b["text"].split()
            spec = SPECS[name]  # every object is one we know the shape of
            if spec is None:
                spec = {"route": (2, len(args) + 1), "pack": (len(args), 1), "t": (1, len(args))}[name]
            assert (b["numinlets"], b["numoutlets"]) == spec, (b["id"], b["text"])
            if name.endswith("~") and name not in ("buffer~", "dac~"):
                assert b["outlettype"][0] == "signal"


def test_every_wire_connects_existing_ports(boxes, wires):
    assert len(set(wires)) == len(wires)  # no duplicate cords
    for src, outlet, dst, inlet in wires:
        assert src in boxes and dst in boxes, (src, dst)
        assert 0 <= outlet < boxes[src]["numoutlets"], (src, outlet)
        assert 0 <= inlet < boxes[dst]["numinlets"], (dst, inlet)
        if boxes[src].get("outlettype", [""])[outlet] == "signal":  # signal cords end in signal objects
            assert boxes[dst].get("text", "").split()[0].endswith("~"), (src, dst)


def test_ports_match_the_bridge_and_readme(boxes):
    send = by_text(boxes, "udpsend").get("text").split()
    recv = by_text(boxes, "udpreceive").get("text").split()
    assert send[1:] == [A.DEFAULT_HOST, str(A.DEFAULT_PORT)]
    readme = README.read_text(encoding="utf-8")
    assert f"--port {A.DEFAULT_PORT} --reply-port {recv[1]}" in readme
    route = by_text(boxes, "route").get("text").split()[1:]
    assert route[0] == A.DONE and set(route) <= set(A.REPLIES)
    for b in boxes.values():
        if b["maxclass"] == "message" and b.get("text", "").startswith("/"):
            assert b["text"].split()[0] in A.REQUESTS, b["text"]


def _path(wires, *ids_and_ports) -> bool:
    """Is there a cord for every consecutive (box, outlet) -> (box, inlet) pair in the chain?"""
    return all((src, outlet, dst, inlet) in wires for (src, outlet), (dst, inlet) in itertools.pairwise(ids_and_ports))


def test_reply_chain_loads_and_plays(boxes, wires):
    buf = by_text(boxes, "buffer~")
    groove = by_text(boxes, "groove~")
    assert buf["text"].split()[1] == groove["text"].split()[1]  # same buffer name
    ids = {name: by_text(boxes, name)["id"] for name in ("udpreceive", "route", "zl nth", "prepend replace", "dac~")}
    assert _path(
        wires,
        (ids["udpreceive"], 0),
        (ids["route"], 0),  # outlet 0 = /sfxgen/done
        (ids["zl nth"], 0),
        (ids["prepend replace"], 0),
        (buf["id"], 0),
    )
    assert _path(wires, (buf["id"], 1), (by_text(boxes, "t b", exact=True)["id"], 0))  # bang when the file is read
    restart = next(w for w in wires if w[0] == by_text(boxes, "t b", exact=True)["id"])[2]
    assert boxes[restart]["text"] == "0" and (restart, 0, groove["id"], 0) in wires  # play from the start
    assert (by_text(boxes, "sig~")["id"], 0, groove["id"], 0) in wires
    gain = by_text(boxes, "*~")["id"]
    assert (groove["id"], 0, gain, 0) in wires
    assert {(gain, 0, ids["dac~"], 0), (gain, 0, ids["dac~"], 1)} <= set(wires)  # both channels


def test_request_chain_reaches_udpsend(boxes, wires):
    prompt = next(b for b in boxes.values() if b["maxclass"] == "textedit")
    ids = [by_text(boxes, n)["id"] for n in ("tosymbol", "t b s", "pack", "prepend /sfxgen/generate", "udpsend")]
    assert _path(wires, (prompt["id"], 0), (ids[0], 0), (ids[1], 0))
    assert (ids[1], 1, ids[2], 1) in wires  # symbol into the cold inlet first (right-to-left order)
    counter = by_text(boxes, "counter")["id"]
    assert (ids[1], 0, counter, 0) in wires and (counter, 0, ids[2], 0) in wires  # then the hot id
    assert _path(wires, (ids[2], 0), (ids[3], 0), (ids[4], 0))


# --- a tiny interpreter of the message objects, run on the bridge's own messages -------------------


def _run(text: str, message: list[Any]) -> tuple[int, list[Any]] | None:
    name, *args = text.split()
    if name == "route":
        if message and message[0] in args:
            return args.index(message[0]), message[1:]
        return len(args), message
    if name == "zl" and args[0] == "nth":
        n = int(args[1])
        return (0, [message[n - 1]]) if len(message) >= n else (1, message)
    if name == "prepend":
        return 0, [*args, *message]
    raise AssertionError(f"no interpreter for {text}")


def test_a_real_done_reply_becomes_replace_path(boxes):
    done = [A.DONE, 7, "/Users/me/My Sounds/door_7_s1.wav", "/Users/me/My Sounds/door_7_s2.wav"]
    message = done
    for name in ("route", "zl nth", "prepend replace"):
        outlet, message = _run(by_text(boxes, name)["text"], message)
        assert outlet == 0
    assert message == ["replace", "/Users/me/My Sounds/door_7_s1.wav"]  # one symbol with spaces, first file
    outlet, _ = _run(by_text(boxes, "route")["text"], [A.ERROR, 7, "cancelled"])
    assert outlet == 1  # errors go to the status display, not the buffer


def test_the_patch_request_passes_the_bridge_validation(boxes, wires):
    pack_args = by_text(boxes, "pack")["text"].split()[1:]
    assert pack_args[0] == "0" and pack_args[1] == "s"
    counter, prompt = 1, "wooden door slams"  # tosymbol makes the typed words one symbol
    duration, variations, key, loop = float(pack_args[2]), int(pack_args[3]), pack_args[4], float(pack_args[5])
    for loop_ms in (loop, 500.0):  # as loaded (a one-shot), then with the loop box at 500
        items = [counter, prompt, duration, variations, key, loop_ms]
        _, message = _run(by_text(boxes, "prepend /sfxgen/generate")["text"], items)
        assert message[0] == A.GENERATE
        g = parse_generate(message[1:], image=False)
        assert (g.req_id, g.prompt, g.duration, g.variations, g.loop) == (1, prompt, 2.0, 1, loop_ms)
    loop_box = next(b for b in boxes.values() if b.get("maxclass") == "flonum" and b.get("maximum") == 10000.0)
    pack = by_text(boxes, "pack")["id"]
    assert (loop_box["id"], 0, pack, 5) in wires
