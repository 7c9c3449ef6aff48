"""Round trip of every address over real UDP on 127.0.0.1 (real engine, tiny bundle)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from sfxgen.engine import Engine
from sfxgen.osc.server import OscServer
from sfxgen.wavfile import read_wav_metadata
from tests.helpers.packs import DOG, RAIN, pack_toml, write_pack


def test_ping_and_status(client, bridge, engine, out_dir):
    client.send("/sfxgen/ping", "hello")
    assert client.wait_for(lambda rs: ("/sfxgen/pong", ["hello"]) in rs, 5)
    client.send("/sfxgen/status")
    assert client.wait_for(lambda rs: any(a == "/sfxgen/status" for a, _ in rs), 5)
    status = next(p for a, p in client.replies if a == "/sfxgen/status")
    assert status == ["ready", "CPUExecutionProvider", 0, 16, engine.bundle.bundle_id, str(out_dir.resolve())]


def test_generate_accepted_progress_done(client, out_dir):
    address, args = client.request("/sfxgen/generate", "r1", "wooden door slams", 0.5, 2, 7, 1.5)
    assert address == "/sfxgen/done", args
    assert args[0] == "r1" and len(args) == 3
    kinds = [a for a, _ in client.about("r1")]
    assert kinds[0] == "/sfxgen/accepted" and kinds[-1] == "/sfxgen/done"
    assert "/sfxgen/progress" in kinds
    fractions = [p[1] for a, p in client.about("r1") if a == "/sfxgen/progress"]
    assert fractions == sorted(fractions) and all(0.0 <= f <= 1.0 for f in fractions)
    for i, path in enumerate(args[1:]):
        p = Path(path)
        assert p.is_file() and p.is_relative_to(out_dir.resolve())
        assert p.name == f"wooden_door_slams_r1_s{7 + i}.wav"
        audio, sr = sf.read(p)
        assert sr == 48000 and abs(len(audio) / sr - 0.5) < 0.01 and np.abs(audio).max() > 0
        recipe = read_wav_metadata(p).recipe
        assert (recipe.prompt, recipe.seed, recipe.guidance) == ("wooden door slams", 7 + i, 1.5)


def test_generate_defaults_and_options(client):
    address, args = client.request("/sfxgen/generate", 42, "rain", 0.25, 1, -1, -1.0, "steps", 3, "name", "Rain Take")
    assert address == "/sfxgen/done" and args[0] == 42  # int ids are echoed as ints
    meta = read_wav_metadata(Path(args[1])).recipe
    assert meta.steps == 3 and Path(args[1]).name.startswith("Rain_Take_42_s")


def test_generate_image(client, tmp_path):
    img = tmp_path / "door.png"
    Image.fromarray((np.random.default_rng(0).random((40, 40, 3)) * 255).astype(np.uint8)).save(img)
    address, args = client.request("/sfxgen/generate_image", "img1", str(img), 0.25, 1, 3)
    assert address == "/sfxgen/done", args
    assert Path(args[1]).name == "door_img1_s3.wav"
    assert read_wav_metadata(Path(args[1])).recipe.query_mode == "image"
    address, args = client.request("/sfxgen/generate_image", "img2", str(tmp_path / "missing.png"))
    assert address == "/sfxgen/error" and "not a readable file" in args[1]


def test_cancel_running_and_unknown(client):
    client.send("/sfxgen/generate", "long", "engine loop", 30.0, 1, 1, -1, "steps", 1000)
    assert client.wait_for(lambda rs: any(a == "/sfxgen/progress" and p[0] == "long" for a, p in rs), 10)
    client.send("/sfxgen/cancel", "long")
    assert client.terminal("long", 15) == ("/sfxgen/error", ["long", "cancelled"])
    address, args = client.request("/sfxgen/cancel", "never-sent")
    assert address == "/sfxgen/error" and "nothing to cancel" in args[1]


def test_cancel_queued(client):
    client.send("/sfxgen/generate", "first", "engine loop", 30.0, 1, 1, -1, "steps", 1000)
    client.send("/sfxgen/generate", "second", "engine loop", 0.25, 1, 1)
    assert client.wait_for(lambda rs: sum(a == "/sfxgen/accepted" for a, _ in rs) == 2, 5)
    client.send("/sfxgen/cancel", "second")
    client.send("/sfxgen/cancel", "first")
    assert client.terminal("first", 15) == ("/sfxgen/error", ["first", "cancelled"])
    assert client.terminal("second", 15) == ("/sfxgen/error", ["second", "cancelled"])
    assert sum(a == "/sfxgen/error" for a, _ in client.about("second")) == 1  # exactly one


def test_duplicate_req_id_in_flight(client):
    client.send("/sfxgen/generate", "dup", "engine loop", 30.0, 1, 1, -1, "steps", 1000)
    client.send("/sfxgen/generate", "dup", "engine loop", 0.25)
    assert client.wait_for(lambda rs: any(a == "/sfxgen/error" and "already in progress" in p[1] for a, p in rs), 5)
    client.send("/sfxgen/cancel", "dup")
    assert client.wait_for(lambda rs: ("/sfxgen/error", ["dup", "cancelled"]) in rs, 15)


PACK = pack_toml(
    "OSC Test",
    "OSC",
    {"duration": 0.25, "count": 2, "batch": 2, "steps": 2, "sampler": "ddim"},
    [DOG | {"seed": 10}, {"name": "rain"} | RAIN | {"count": 1}],
    designer="Tester",
)


def test_preset_round_trip(client, tmp_path, out_dir):
    pack = write_pack(tmp_path, PACK, stem="osc_pack")
    address, args = client.request("/sfxgen/preset", "p1", str(pack), timeout=30)
    assert address == "/sfxgen/done", args
    files = [Path(f) for f in args[1:]]
    assert len(files) == 3 and all(f.is_file() and f.suffix == ".wav" for f in files)
    assert all(f.parent == out_dir.resolve() / "presets" / "osc_pack" for f in files)
    kinds = [a for a, _ in client.about("p1")]
    assert kinds[0] == "/sfxgen/accepted" and "/sfxgen/progress" in kinds and kinds[-1] == "/sfxgen/done"
    # Rendering again resumes (files verified, not re-rendered) and answers the same files.
    assert client.request("/sfxgen/preset", "p2", str(pack), timeout=30) == ("/sfxgen/done", ["p2", *args[1:]])
    # One sound of the pack, by name or by fxname: only its files are answered.
    assert client.request("/sfxgen/preset", "s1", str(pack), "rain", timeout=30) == ("/sfxgen/done", ["s1", args[3]])
    address, dog = client.request("/sfxgen/preset", "s2", str(pack), "Dog Bark", timeout=30)
    assert (address, dog) == ("/sfxgen/done", ["s2", *args[1:3]])
    fresh = out_dir / "presets" / "one_sound"
    pack.rename(pack.with_name("one_sound.toml"))
    address, one = client.request("/sfxgen/preset", "s3", str(pack.with_name("one_sound.toml")), "rain", timeout=30)
    assert address == "/sfxgen/done" and [Path(f).name for f in one[1:]] == ["RAIN_Rain Heavy_TST_OSC_01.wav"]
    assert sorted(p.name for p in fresh.glob("*.wav")) == ["RAIN_Rain Heavy_TST_OSC_01.wav"]  # the dog not rendered
    pack.with_name("one_sound.toml").rename(pack)
    for req_id, pack_arg, extra, needle in (
        ("p3", str(tmp_path / "nope.toml"), (), "does not exist"),
        ("p4", "osc_pack", (), "no presets folder"),
        ("p5", str(pack), ("cat",), "no sound 'cat' in this pack; its sounds are: 'Dog Bark', 'rain' (fxname"),
    ):
        address, reply = client.request("/sfxgen/preset", req_id, pack_arg, *extra)
        assert address == "/sfxgen/error" and needle in reply[1], reply
        assert [a for a, _ in client.about(req_id)] == ["/sfxgen/error"]  # refused at once, never accepted
    broken = tmp_path / "broken.toml"
    broken.write_text(PACK.replace('catid = "RAIN"', 'catid = "RAINY"'))
    address, reply = client.request("/sfxgen/preset", "p6", str(broken))
    assert address == "/sfxgen/error" and "RAINY" in reply[1] and len(client.about("p6")) == 1
    assert not (out_dir / "presets" / "broken").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ((), "missing <req_id>"),
        ((1.5, "x"), "<req_id> must be a string or an int"),
        (("r", 5), "<prompt> must be a string"),
        (("r", ""), "<prompt> is empty"),
        (("r", "x", 100.0), "[duration] (3rd argument, seconds) must be in 0.25 .. 30"),
        (("r", "x", 1.0, 0), "[variations] (4th argument) must be in 1 .. 64"),
        (("r", "x", 1.0, 2.5), "[variations] (4th argument) must be an integer"),
        (("r", "x", 1.0, 1, -7), "[seed]"),
        (("r", "x", 1.0, 1, 1, 99.0), "[guidance]"),
        (("r", "x", 1.0, 1, 1, 1.0, "steps"), "'key value' pairs"),
        (("r", "x", 1.0, 1, 1, 1.0, "colour", 3), "unknown option"),
        (("r", "x", "sampler", "euler"), "sampler must be one of"),
        (("r", "x", float("nan")), "must be in"),
        (("r", "x", True), "must be a number"),
        (("r", b"\x00\x01"), "must be a string, got blob"),
    ],
)
def test_wrong_types_and_ranges(client, args, needle):
    client.send("/sfxgen/generate", *args)
    assert client.wait_for(lambda rs: any(a == "/sfxgen/error" for a, _ in rs), 5), client.replies
    (address, reply), *rest = client.replies
    assert address == "/sfxgen/error" and not rest
    assert reply[0] == (args[0] if args and isinstance(args[0], str) else "")
    assert needle in reply[1], reply[1]


def test_unknown_address(client):
    client.send("/sfxgen/make_coffee", "c1")
    assert client.wait_for(lambda rs: len(rs) == 1, 5)
    address, args = client.replies[0]
    assert address == "/sfxgen/error" and args[0] == "c1" and "unknown address '/sfxgen/make_coffee'" in args[1]
    client.send("/sfxgen/done", "loop", "/x.wav")  # reply-shaped input is ignored (no reply storms)
    client.send("/sfxgen/ping")
    assert client.wait_for(lambda rs: rs[-1][0] == "/sfxgen/pong", 5)
    assert [a for a, _ in client.replies] == ["/sfxgen/error", "/sfxgen/pong"]


def test_reply_port_and_reply_file(engine, out_dir):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(10)
    with OscServer(engine, out_dir, port=0, reply_port=listener.getsockname()[1], progress_interval=60) as server:
        from sfxgen.osc.send import send

        # The sender hears nothing (replies go to the reply port) ...
        status, _ = send(
            "/sfxgen/generate", ["rf", "glass", 0.25, 1, 5, -1, "reply_file", 1], port=server.address[1], timeout=1
        )
        assert status == "timeout"
        from pythonosc.osc_message import OscMessage

        got = [OscMessage(listener.recv(65535)) for _ in range(3)]  # accepted, progress, done
        assert [m.address for m in got] == ["/sfxgen/accepted", "/sfxgen/progress", "/sfxgen/done"]
        reply_file = out_dir.resolve() / "replies" / "rf.json"
        assert got[0].params == ["rf", str(reply_file)]
        body = json.loads(reply_file.read_text())
        assert body == {"status": "done", "req_id": "rf", "files": got[2].params[1:], "message": ""}
    listener.close()


def test_close_ends_open_requests_with_error(tiny_bundle: Path, tmp_path: Path):
    eng = Engine(tiny_bundle, providers="cpu", max_queue=4, num_threads=1)
    eng.start()
    server = OscServer(eng, tmp_path / "out", port=0).start()
    from tests.sfxgen.osc.conftest import Client

    c = Client(server.address[1])
    try:
        for i in range(3):
            c.send("/sfxgen/generate", f"s{i}", "hum", 30.0, 1, 1, -1, "steps", 1000)
        assert c.wait_for(lambda rs: sum(a == "/sfxgen/accepted" for a, _ in rs) == 3, 5)
        server.close()
        for i in range(3):
            assert c.terminal(f"s{i}", 5) == ("/sfxgen/error", [f"s{i}", "bridge shut down"])
    finally:
        c.close()
        eng.close()
