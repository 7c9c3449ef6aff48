"""The REAPER script: `luac -p` clean, its JSON and sender handling in lua5.4, and a full run against a real bridge.

The full run executes integrations/reaper/sfxgen_generate.lua under lua5.4 with a stub `reaper`
table (tests/integrations/reaper_stub.lua) whose ExecProcess really runs `python -m sfxgen.osc.send`,
so the path is: dialog -> request file -> sender -> UDP -> bridge (real engine) -> reply file ->
polling from reaper.defer -> reaper.InsertMedia.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfxgen.engine import Engine
from sfxgen.osc.server import OscServer
from sfxgen.wavfile import read_wav_metadata

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "integrations" / "reaper" / "sfxgen_generate.lua"
STUB = Path(__file__).with_name("reaper_stub.lua")
LUA = shutil.which("lua5.4")
LUAC = shutil.which("luac5.4")
needs_lua = pytest.mark.skipif(LUA is None, reason="lua5.4 not installed (Debian: apt-get install -y lua5.4)")
SEND_CMD = f"{sys.executable} -m sfxgen.osc.send"


@pytest.mark.skipif(LUAC is None, reason="luac5.4 not installed (Debian: apt-get install -y lua5.4)")
def test_luac_parses_the_script():
    for f in (SCRIPT, STUB):  # one file per call: Debian's luac 5.4.4 double-frees with several -p files
        subprocess.run([LUAC, "-p", str(f)], check=True, timeout=10)


def _lua(code: str, tmp_path: Path) -> list[str]:
    driver = tmp_path / "driver.lua"
    driver.write_text(f"SFXGEN_TEST = true\nlocal M = dofile({json.dumps(str(SCRIPT))})\n{code}\n", encoding="utf-8")
    proc = subprocess.run([LUA, str(driver)], capture_output=True, text=True, timeout=10)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


@needs_lua
def test_json_decode_matches_python(tmp_path):
    values = ['say "hi"', "back\\slash", "tab\tnew\nline", "ünïcødé ⚡ 🎧", "\x01ctl", "C:\\out\\a b.wav", "/x/y"]
    for ascii_only in (True, False):
        f = tmp_path / f"reply_{ascii_only}.json"
        f.write_text(json.dumps({"status": "done", "files": values, "n": -1.5e3, "t": True}, ensure_ascii=ascii_only))
        lines = _lua(
            f"local r = assert(M.json_decode(M.read_file({json.dumps(str(f))})))\n"
            "print(r.status, r.n, tostring(r.t), #r.files)\n"
            "local function hex(c) return string.format('%02x', c:byte()) end\n"
            "for _, s in ipairs(r.files) do print((s:gsub('.', hex))) end",
            tmp_path,
        )
        assert lines[0] == "done\t-1500.0\ttrue\t7"
        assert [bytes.fromhex(h).decode() for h in lines[1:]] == values


@needs_lua
def test_json_encode_is_read_by_python(tmp_path):
    lines = _lua(
        "local args = {'id-1', 'door \"slam\"\\n\\\\ ⚡\\1', 2.0, 1, -1, -1.0}\n"
        "print(M.json_encode({address = '/sfxgen/generate', args = args}))",
        tmp_path,
    )
    assert json.loads(lines[0]) == {
        "address": "/sfxgen/generate",
        "args": ["id-1", 'door "slam"\n\\ ⚡\x01', 2.0, 1, -1, -1.0],
    }
    assert isinstance(json.loads(lines[0])["args"][2], float)  # OSC float, not int


@needs_lua
def test_parse_exec_and_command(tmp_path):
    lines = _lua(
        "local code, l = M.parse_exec('0\\naccepted r1\\n/out dir/replies/r1.json\\n')\n"
        "print(code, l[1], l[2])\n"
        "print(M.parse_exec(nil))\n"
        "print(M.build_command({send_cmd='py -m s', host='127.0.0.1', port=9000, accept_timeout_s=5}, '/a b/r.json'))\n"
        "print(M.build_command({send_cmd='x', host='h', port=1, accept_timeout_s=1}, '/a\"b'))",
        tmp_path,
    )
    assert lines[0] == "0\taccepted r1\t/out dir/replies/r1.json"
    assert lines[1].startswith("nil\ttable")
    assert lines[2] == 'py -m s --host 127.0.0.1 --port 9000 --wait accepted --timeout 5 --json "/a b/r.json"'
    assert lines[3] == "nil\tthe request file path contains a double quote"


@pytest.fixture(scope="module")
def reaper_bridge(tiny_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OscServer]:
    eng = Engine(tiny_bundle, providers="cpu", max_queue=8, num_threads=1)
    eng.start()
    server = OscServer(eng, tmp_path_factory.mktemp("reaper") / "out", port=0).start()
    yield server
    server.close()
    eng.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_script(tmp_path: Path, dialog: str, env_extra: dict[str, str] | None = None, **cfg: object) -> list[list[str]]:
    env = dict(os.environ) | (env_extra or {})
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(
        SFXGEN_SCRIPT=str(SCRIPT), SFXGEN_RESOURCE=str(tmp_path / "reaper"), SFXGEN_INPUT=dialog, OMP_NUM_THREADS="1"
    )
    env.update({f"SFXGEN_CFG_{k.upper()}": str(v) for k, v in cfg.items()})
    proc = subprocess.run([LUA, str(STUB)], capture_output=True, text=True, timeout=60, env=env, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("\t") for line in proc.stdout.splitlines()]
    assert rows[-1][0] == "END" and rows[-1][2] == "0", rows  # the defer loop finished on its own
    return rows


@needs_lua
def test_full_run_inserts_the_generated_files(tmp_path, reaper_bridge):
    out = reaper_bridge.router.out_dir
    rows = _run_script(
        tmp_path,
        "wooden door, slams shut\n0.5\n2\n0\n0",
        send_cmd=SEND_CMD,
        port=reaper_bridge.address[1],
        timeout_s=30,
    )
    inserts = [r for r in rows if r[0] == "INSERT"]
    assert [r for r in rows if r[0] == "MSG"] == []
    assert len(inserts) == 2 and all(r[1] == "0" for r in inserts)
    for r in inserts:
        path = Path(r[2])
        assert path.is_file() and path.parent == out
        assert read_wav_metadata(path).recipe.prompt == "wooden door, slams shut"  # comma survived the dialog
    assert ["UNDO", "sfxgen: insert generated sound"] in rows
    assert list((out / "replies").glob("*.json")) == []  # reply file consumed
    assert list((tmp_path / "reaper" / "Data" / "sfxgen").iterdir()) == []  # request file removed


@needs_lua
def test_a_stereo_loop_is_asked_for_and_inserted(tmp_path, reaper_bridge):
    rows = _run_script(tmp_path, "steady rain\n1\n1\n300\n1", send_cmd=SEND_CMD, port=reaper_bridge.address[1])
    (insert,) = [r for r in rows if r[0] == "INSERT"]
    meta = read_wav_metadata(insert[2])
    assert meta.frames == 48000 and meta.loop == (0, 47999) and meta.recipe.finish["loop_crossfade_ms"] == 300.0
    assert meta.channels == 2  # "Stereo" 1
    assert meta.sample_rate == 48000  # the device's rate (the stub's default), the project not pinned
    rows = _run_script(tmp_path, "steady rain\n1\n1\n1500\n0", send_cmd="false")  # longer than the sound
    assert [r[0] for r in rows] == ["DIALOG", "MSG", "END"] and "Loop crossfade must be" in rows[1][1]
    rows = _run_script(tmp_path, "steady rain\n1\n1\n0\nyes", send_cmd="false")
    assert [r[0] for r in rows] == ["DIALOG", "MSG", "END"] and "Stereo must be 1" in rows[1][1]


@needs_lua
@pytest.mark.parametrize(("project", "device", "rate"), [("44100", "48000", 44100), (None, "88200", 44100)])
def test_files_come_at_the_projects_sample_rate(tmp_path, reaper_bridge, project, device, rate):
    env = {"SFXGEN_DEVICE_SRATE": device} | ({"SFXGEN_PROJECT_SRATE": project} if project else {})
    rows = _run_script(tmp_path, "rain\n0.5\n1\n0\n0", env, send_cmd=SEND_CMD, port=reaper_bridge.address[1])
    (insert,) = [r for r in rows if r[0] == "INSERT"]
    assert read_wav_metadata(insert[2]).sample_rate == rate


@needs_lua
def test_bridge_error_is_shown(tmp_path, reaper_bridge):
    rows = _run_script(tmp_path, f"{'x' * 1200}\n1\n1\n0\n0", send_cmd=SEND_CMD, port=reaper_bridge.address[1])
    msgs = [r[1] for r in rows if r[0] == "MSG"]
    assert len(msgs) == 1 and "sfxgen refused the request" in msgs[0] and "at most 1000" in msgs[0]
    assert not any(r[0] == "INSERT" for r in rows)


@needs_lua
def test_no_bridge_running(tmp_path):
    rows = _run_script(tmp_path, "door\n1\n1\n0\n0", send_cmd=SEND_CMD, port=_free_port(), accept_timeout_s=0.5)
    msgs = [r[1] for r in rows if r[0] == "MSG"]
    assert len(msgs) == 1 and "No reply from the sfxgen bridge" in msgs[0]


@needs_lua
def test_reply_port_fallback_polls_until_timeout(tmp_path):
    """No reply reaches the sender (bridge on --reply-port): poll <out_dir>/replies, give up after timeout_s."""
    rows = _run_script(
        tmp_path,
        "door\n1\n1\n0\n0",
        send_cmd=SEND_CMD,
        port=_free_port(),
        accept_timeout_s=0.5,
        out_dir=tmp_path / "out",
        timeout_s=0.5,
    )
    msgs = [r[1] for r in rows if r[0] == "MSG"]
    assert len(msgs) == 1 and "no sound after" in msgs[0] and str(tmp_path / "out" / "replies") in msgs[0]


@needs_lua
def test_busy_sender_and_bad_input_and_cancel(tmp_path):
    rows = _run_script(tmp_path, "door\n1\n1\n0\n0", send_cmd="sh -c 'echo busy r; exit 2' --")
    assert [r[1] for r in rows if r[0] == "MSG"] == ["The sfxgen bridge is busy (queue full). Try again in a moment."]
    rows = _run_script(tmp_path, "door\nlong\n1\n0\n0", send_cmd="false")
    assert [r[0] for r in rows] == ["DIALOG", "MSG", "END"] and "Duration must be" in rows[1][1]
    rows = _run_script(tmp_path, "", send_cmd="false")  # the user pressed Cancel
    assert [r[0] for r in rows] == ["DIALOG", "END"]
    rows = _run_script(tmp_path, "door\n1\n1\n0\n0", send_cmd="/nonexistent/python")
    msgs = [r[1] for r in rows if r[0] == "MSG"]
    assert len(msgs) == 1 and "the sender failed" in msgs[0]
