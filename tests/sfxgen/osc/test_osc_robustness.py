"""The bridge survives any packet, a vanished client blocks nobody, and files never leave the output folder."""

from __future__ import annotations

import random
import struct
import time
from pathlib import Path

from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from tests.sfxgen.osc.conftest import TERMINAL, Client


def _alive(client: Client, token: str) -> bool:
    client.send("/sfxgen/ping", token)
    return client.wait_for(lambda rs: ("/sfxgen/pong", [token]) in rs, 5)


def _msg(address: str, *args) -> bytes:
    b = OscMessageBuilder(address)
    for a in args:
        b.add_arg(a)
    return b.build().dgram


def test_malformed_packets(client):
    valid = _msg("/sfxgen/generate", "m", "door", 0.25)
    far_future = OscBundleBuilder(time.time() + 3600)  # a far-future time tag must not park the receive thread
    far_future.add_content(OscMessageBuilder("/sfxgen/ping").build())
    nested = OscBundleBuilder(IMMEDIATELY)
    inner = OscBundleBuilder(IMMEDIATELY)
    inner.add_content(OscMessageBuilder("/sfxgen/status").build())
    nested.add_content(inner.build())
    packets = [
        b"",
        b"\x00",
        b"/sfxgen/generate",  # no NUL, no type tags
        b"/sfxgen/generate\x00\x00\x00\x00",  # no type tag string
        b"/sfxgen/ping\x00\x00\x00\x00,z\x00\x00",  # unknown type tag
        b"/sfxgen/ping\x00\x00\x00\x00,i\x00\x00\x00\x01",  # truncated int
        b"/sfxgen/ping\x00\x00\x00\x00,s\x00\x00\xff\xfe\x00\x00",  # invalid UTF-8
        b"/sfxgen/ping\x00\x00\x00\x00,b\x00\x00\x7f\xff\xff\xff",  # blob longer than the packet
        b"#bundle\x00" + b"\x00" * 8 + struct.pack(">i", 1 << 30),  # element size beyond the packet
        b"#bundle\x00" + b"\x00" * 4,  # truncated time tag
        b"/sfxgen/ping\x00\x00\x00\x00,[[[[\x00\x00\x00",  # unbalanced arrays
        b"\xff" * 2000,
        valid[: len(valid) // 2],
        valid + b"\x00\x00\x00\x00garbage",
        far_future.build().dgram,
        nested.build().dgram,
    ]
    for p in packets:
        client.send_raw(p)
    assert _alive(client, "after-malformed")
    assert ("/sfxgen/pong", []) in client.replies  # the far-future bundle ran at once
    assert any(a == "/sfxgen/status" for a, _ in client.replies)  # nested bundle routed
    errors = [p for a, p in client.replies if a == "/sfxgen/error"]
    assert any(p[0] == "" and "malformed OSC packet" in p[1] for p in errors)


def test_fuzzed_bytes_and_arguments(client, out_dir, tmp_path):
    rng = random.Random(1234)
    base = _msg("/sfxgen/generate", "f", "door slam", 0.25, 1, 3, 1.0)
    for _ in range(400):  # bit flips, cuts and splices of a valid request
        b = bytearray(base)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        if rng.random() < 0.3:
            b = b[: rng.randrange(len(b))]
        client.send_raw(bytes(b))
    values = [
        0,
        -1,
        2**31 - 1,
        -(2**31),
        2**40,
        1.5,
        -0.0,
        float("inf"),
        float("-inf"),
        float("nan"),
        3.4e38,
        "",
        "x" * 5000,
        "../../../etc/passwd",
        "/abs/path",
        "ünïcødé ⚡",
        "a\tb\nc",
        "\x01\x7f",
        b"\x01",
        b"\x00" * 64,
        True,
        False,
        None,
    ]
    addresses = ["/sfxgen/generate", "/sfxgen/generate_image", "/sfxgen/cancel", "/sfxgen/preset", "/sfxgen/x"]
    sent_ids = set()
    for i in range(300):
        args = [rng.choice(values) for _ in range(rng.randint(0, 9))]
        if rng.random() < 0.7:  # mostly with a readable id, so each one must be answered
            args.insert(0, f"z{i}")
            sent_ids.add(f"z{i}")
        client.send("/sfxgen/" if rng.random() < 0.02 else rng.choice(addresses), *args)
    assert _alive(client, "after-fuzz")

    def answered(rs) -> bool:
        got = {p[0] for a, p in rs if p and (a in TERMINAL or a == "/sfxgen/error")}
        return sent_ids <= got

    # Every fuzzed request with an id gets an answer (cancel of an unknown id is an error too).
    assert client.wait_for(answered, 20)
    outside = [f for f in tmp_path.rglob("*") if f.is_file() and not f.is_relative_to(out_dir)]
    assert outside == []


def test_vanished_client_does_not_block_others(bridge, client_factory):
    gone = client_factory()
    gone.send("/sfxgen/generate", "g1", "engine", 30.0, 1, 1, -1, "steps", 300)
    assert gone.wait_for(lambda rs: any(a == "/sfxgen/accepted" for a, _ in rs), 5)
    gone.close()  # vanishes mid-job: its progress and done replies go nowhere
    other = client_factory()
    for i in range(3):
        address, args = other.request("/sfxgen/generate", f"o{i}", "bird", 0.25, 1, i, -1, "steps", 2, timeout=30)
        assert address == "/sfxgen/done" and Path(args[1]).is_file()
    assert _alive(other, "still-here")


ESCAPES = [
    "../../../../tmp/escaped",
    "/etc/passwd",
    "..\\..\\windows\\system32\\evil",
    "C:\\Windows\\evil",
    "~/escaped",
    "%2e%2e%2fescaped",
    "／etc／passwd",  # fullwidth solidus (NFKC -> '/')
    "..∕..∕escaped",  # division slash
    "a\x00/../../b",  # a NUL ends an OSC string; the rest is garbage the parser must survive
    "CON",
    ".",
    "..",
    "",
]


def test_path_escapes_stay_inside_out_dir(client, out_dir, tmp_path):
    before = {f for f in Path("/tmp").iterdir()} if Path("/tmp").is_dir() else set()
    n = 0
    for i, evil in enumerate(ESCAPES):
        for req_id, prompt, extra in (
            (evil or f"e{i}", f"door {i}", ()),
            (f"p{i}", evil or "x", ()),
            (f"n{i}", "door", ("name", evil)),
            (evil + f"{i}", "door", ("reply_file", 1)),
        ):
            client.send("/sfxgen/generate", req_id, prompt, 0.25, 1, i, -1, "steps", 2, *extra)
            n += 1  # one at a time (a burst would be answered busy): wait for this one's answer
            assert client.wait_for(lambda rs, n=n: sum(a in TERMINAL for a, _ in rs) >= n, 10)
    assert _alive(client, "after-escapes")
    out = out_dir.resolve()
    done = [Path(p) for a, args in client.replies if a == "/sfxgen/done" for p in args[1:]]
    errors = [args for a, args in client.replies if a == "/sfxgen/error"]
    assert len(done) >= n - 6, errors  # "" ids and the NUL-cut message are refused, the rest generate
    assert all(p.resolve().is_relative_to(out) for p in done)
    for p in done:
        assert p.parent == out and p.is_file()
        assert all(c.isalnum() or c in "_-." for c in p.name), p.name
    written = [f for f in tmp_path.rglob("*") if f.is_file()]
    assert written and all(f.resolve().is_relative_to(out) for f in written)
    replies = sorted((out / "replies").iterdir())
    assert len(replies) >= len(ESCAPES) - 2 and all(r.parent == out / "replies" for r in replies)
    after = {f for f in Path("/tmp").iterdir()}
    assert not any("escaped" in f.name for f in after - before)
