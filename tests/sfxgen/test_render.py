"""render_pack with the tiny bundle: determinism, shards, resume after a kill, manifests, metadata."""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from pathlib import Path

import pytest
import wavinfo

from sfxgen.engine import Engine
from sfxgen.manifest import merge_manifests, read_manifest, shard_manifest_name
from sfxgen.presets import PackError
from sfxgen.render import Shard, dry_run, plan_batches, render_pack
from sfxgen.ucs import parse_ucs_name
from tests.helpers.packs import DOG, RAIN, pack_toml, write_pack

PACK = pack_toml(
    "Render Test",
    "RENDER",
    {"duration": 0.5, "count": 3, "batch": 2, "steps": 2, "sampler": "ddim"},
    [DOG | {"keywords": ["dog", "bark"], "seed": 10}, RAIN | {"count": 2, "loudness_lufs": -20.0}],
    designer="Tester",
)
TOTAL = 5


class BoomError(RuntimeError):
    pass


@pytest.fixture(scope="module")
def engine(tiny_bundle):
    with Engine(tiny_bundle, num_threads=1) as eng:
        eng.start()
        yield eng


@pytest.fixture()
def pack(tmp_path) -> Path:
    return write_pack(tmp_path, PACK)


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.wav"))}


@pytest.fixture(scope="module")
def whole(engine, tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole")
    report = render_pack(write_pack(folder, PACK), folder / "out", engine)
    return report, hashes(folder / "out")


def test_whole_render(whole):
    report, h = whole
    out = report.out_dir
    assert (report.total, report.rendered, report.skipped, report.cancelled) == (TOTAL, TOTAL, 0, False)
    assert len(h) == TOTAL and all(parse_ucs_name(n) for n in h)
    assert "ANMLDog_Dog Bark_TST_RENDER_03.wav" in h and "RAIN_Rain Heavy_TST_RENDER_02.wav" in h
    header, entries = read_manifest(out / "manifest.json")
    assert header["pack"] == "Render Test" and [e.sha256 for e in entries] == [h[e.file] for e in entries]
    assert [e.seed for e in entries] == [10, 11, 12, 1000, 1001]  # seed base + take index
    rows = list(csv.DictReader((out / "manifest.csv").read_text().splitlines()))
    assert [r["file"] for r in rows] == [e.file for e in entries] and rows[0]["catid"] == "ANMLDog"
    assert {
        "file",
        "prompt",
        "seed",
        "catid",
        "duration_s",
        "sample_peak_dbfs",
        "true_peak_dbtp",
        "lufs",
        "sha256",
    } <= set(rows[0])
    sheet = (out / "contact_sheet.html").read_text()
    assert all(f"contact/{Path(n).stem}.png" in sheet for n in h)
    assert len(list((out / "contact").glob("*.png"))) == TOTAL
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging or temp files left


def test_metadata_with_independent_reader(whole):
    report, _ = whole
    info = wavinfo.WavInfoReader(str(report.out_dir / "RAIN_Rain Heavy_TST_RENDER_01.wav"))
    assert (info.bext.originator_date, info.bext.originator_time) == ("2026-02-03", "04:05:06")  # pack timestamp
    user = {el.tag: el.text for el in info.ixml.raw_xml.find("./USER")}
    assert (user["CATID"], user["CATEGORY"], user["SUBCATEGORY"]) == ("RAIN", "RAIN", "GENERAL")
    assert user["LIBRARY"] == "Render Test" and user["DESIGNER"] == "Tester" and user["FXNAME"] == "Rain Heavy"
    recipe = json.loads(info.ixml.raw_xml.find("./SFXGEN/RECIPE").text)
    assert recipe["seed"] == 1000 and recipe["batch_seeds"] == [1000, 1001] and recipe["prompt"] == "heavy rain"
    assert info.fmt.sample_rate == 48000 and info.fmt.bits_per_sample == 24
    entry = {e.file: e for e in read_manifest(report.out_dir / "manifest.json")[1]}["RAIN_Rain Heavy_TST_RENDER_01.wav"]
    assert entry.lufs is not None and info.bext.loudness_value == pytest.approx(entry.lufs, abs=0.01)
    assert entry.lufs <= -20.0 + 0.05  # loudness target -20 LUFS, or quieter when the -1 dBFS ceiling holds it back
    assert info.bext.max_true_peak == pytest.approx(entry.true_peak_dbtp, abs=0.01)


def test_two_runs_identical(engine, pack, tmp_path, whole):
    render_pack(pack, tmp_path / "again", engine, contact_sheet=False)
    assert hashes(tmp_path / "again") == whole[1]


def test_shards_union_equals_whole(engine, pack, tmp_path, whole):
    a = render_pack(pack, tmp_path / "s1", engine, shard="1/2", contact_sheet=False)
    b = render_pack(pack, tmp_path / "s2", engine, shard=Shard(2, 2), contact_sheet=False)
    h1, h2 = hashes(tmp_path / "s1"), hashes(tmp_path / "s2")
    assert not set(h1) & set(h2) and a.total + b.total == TOTAL
    assert {**h1, **h2} == whole[1]
    _, merged = merge_manifests([tmp_path / "s1", tmp_path / "s2"], tmp_path)
    assert [e.file for e in merged] == [e.file for e in read_manifest(whole[0].out_dir / "manifest.json")[1]]


def test_kill_mid_render_then_resume(engine, pack, tmp_path, whole):
    out = tmp_path / "out"

    def crash_after_two(done, total, name):
        if done >= 2 and name:
            raise BoomError("killed")

    with pytest.raises(BoomError):
        render_pack(pack, out, engine, on_progress=crash_after_two)
    assert len(list(out.glob("*.wav"))) == 2
    (out / ".RAIN_Rain Heavy_TST_RENDER_01.wav.x1y2.part").write_bytes(b"partial")  # a kill mid-write leaves this
    written: list[str] = []
    report = render_pack(pack, out, engine, on_progress=lambda d, t, n: n and written.append(n))
    assert (report.skipped, report.rendered) == (2, TOTAL - 2)
    assert len(written) == len(set(written)) == TOTAL - 2  # nothing rendered twice
    assert hashes(out) == whole[1]
    assert not list(out.glob(".*.part"))
    _, entries = read_manifest(out / "manifest.json")
    assert sorted(e.file for e in entries) == sorted(whole[1]) and all(whole[1][e.file] == e.sha256 for e in entries)


def test_cancel_then_resume_and_lost_manifest_entry(engine, pack, tmp_path, whole):
    out = tmp_path / "out"
    state = {"n": 0}

    def progress(done, total, name):
        state["n"] = done

    report = render_pack(pack, out, engine, on_progress=progress, cancel=lambda: state["n"] >= 2)
    assert report.cancelled and report.manifest is None and 2 <= len(report.files) < TOTAL
    # simulate a kill between a file's rename and its manifest update: drop one entry
    mpath = out / shard_manifest_name(1, 1)
    data = json.loads(mpath.read_text())
    data["files"] = data["files"][:-1]
    mpath.write_text(json.dumps(data))
    report = render_pack(pack, out, engine)
    assert not report.cancelled and report.skipped + report.rendered == TOTAL and report.skipped < len(report.files)
    assert hashes(out) == whole[1]


def test_broken_pack_renders_nothing(engine, pack, tmp_path):
    pack.write_text(PACK.replace('catid = "RAIN"', 'catid = "RAINY"'))
    with pytest.raises(PackError, match=r"RAINY"):
        render_pack(pack, tmp_path / "out", engine)
    assert not (tmp_path / "out").exists()
    img = tmp_path / "door.png"
    img.write_bytes(b"\x89PNG\r\n\x1a\n")
    pack.write_text(PACK + '\n[[sound]]\nimage = "door.png"\ncatid = "DOORWood"\nfxname = "Door"\n')
    with pytest.raises(PackError, match=r"sound 'Door' \(#3\)"):  # tiny bundle has no image encoder
        render_pack(pack, tmp_path / "out2", engine)
    assert not list((tmp_path / "out2").glob("*.wav"))


def test_dry_run_and_plan(pack):
    rows = dry_run(pack)
    assert [r[0] for r in rows][:2] == ["ANMLDog_Dog Bark_TST_RENDER_01.wav", "ANMLDog_Dog Bark_TST_RENDER_02.wav"]
    from sfxgen.presets import load_pack

    p = load_pack(pack)
    batches = plan_batches(p)
    assert [b.takes for b in batches] == [(1, 2), (3,), (1, 2)]
    shards = [plan_batches(p, Shard(k, 3)) for k in (1, 2, 3)]
    assert sorted(b.index for s in shards for b in s) == [0, 1, 2]
    with pytest.raises(ValueError):
        Shard.parse("3/2")


def test_render_selected_sounds(engine, pack, tmp_path, whole):
    out = tmp_path / "out"
    rain = render_pack(pack, out, engine, sounds=["Rain Heavy"], contact_sheet=False)  # by fxname (= name)
    assert (rain.total, rain.rendered) == (2, 2)
    assert [f.name for f in rain.files] == ["RAIN_Rain Heavy_TST_RENDER_01.wav", "RAIN_Rain Heavy_TST_RENDER_02.wav"]
    assert hashes(out) == {n: h for n, h in whole[1].items() if n.startswith("RAIN_")}  # same bytes as a full render
    dog = render_pack(pack, out, engine, sounds=["dog bark"], contact_sheet=False)  # case-insensitive
    assert (dog.total, dog.rendered, dog.skipped) == (3, 3, 0)
    assert hashes(out) == whole[1]
    # the shard manifest kept the rain entries written by the first partial render
    _, entries = read_manifest(out / "manifest.json")
    assert [e.file for e in entries] == [e.file for e in read_manifest(whole[0].out_dir / "manifest.json")[1]]
    again = render_pack(pack, out, engine, sounds=["Rain Heavy"], contact_sheet=False)
    assert (again.rendered, again.skipped) == (0, 2)  # resume verifies the selected sound only


def test_unknown_sound_lists_the_pack_and_renders_nothing(engine, pack, tmp_path):
    with pytest.raises(PackError, match=r"no sound 'Cat Meow'.*'Dog Bark', 'Rain Heavy'"):
        render_pack(pack, tmp_path / "out", engine, sounds=["Rain Heavy", "Cat Meow"])
    assert not (tmp_path / "out").exists()
    with pytest.raises(PackError, match="no sound names given"):
        render_pack(pack, tmp_path / "out", engine, sounds=[])
    assert not (tmp_path / "out").exists()


def test_select_by_name_or_fxname(pack):
    from sfxgen.presets import load_pack
    from sfxgen.render import check_pack, select_sounds

    pack.write_text(PACK.replace('prompt = "heavy rain"', 'name = "storm"\nprompt = "heavy rain"'))
    p = load_pack(pack)
    assert [s.name for s in select_sounds(p, ["storm"])] == ["storm"]
    assert [s.name for s in select_sounds(p, ["Rain Heavy", "Dog Bark", "storm"])] == ["Dog Bark", "storm"]
    assert select_sounds(p, None) == p.sounds
    with pytest.raises(PackError, match=r"'storm' \(fxname 'Rain Heavy'\)"):
        select_sounds(p, ["rain"])
    assert [r[0] for r in dry_run(pack, sounds=["storm"])] == [
        "RAIN_Rain Heavy_TST_RENDER_01.wav",
        "RAIN_Rain Heavy_TST_RENDER_02.wav",
    ]
    assert [b.index for b in plan_batches(p, None, select_sounds(p, ["storm"]))] == [2]  # whole-pack numbering
    assert [s.name for s in check_pack(pack, None, ["storm"])[1]] == ["storm"]


def test_cli_render_sound(tiny_bundle, pack, tmp_path, capsys, caplog, whole):
    import signal

    from sfxgen import cli

    handler = signal.getsignal(signal.SIGINT)
    try:
        args = ["render", str(pack), "--bundle", str(tiny_bundle), "--threads", "1", "--no-contact-sheet"]
        assert cli.main([*args, "--dry-run", "--sound", "Rain Heavy"]) == 0
        assert capsys.readouterr().out.count(".wav") == 2
        assert cli.main([*args, "--out", str(tmp_path / "out"), "--sound", "Cat Meow"]) == 2
        assert "no sound 'Cat Meow'" in caplog.text and "'Dog Bark', 'Rain Heavy'" in caplog.text
        assert not (tmp_path / "out").exists()  # refused before the engine started or anything was written
        code = cli.main(
            [*args, "--out", str(tmp_path / "out"), "--sound", "Rain Heavy", "--sound", "Dog Bark", "--json"]
        )
        assert code == 0
        assert json.loads(capsys.readouterr().out)["total"] == TOTAL
        assert hashes(tmp_path / "out") == whole[1]
    finally:
        signal.signal(signal.SIGINT, handler)


def test_two_workers_render_the_same_library(tiny_bundle, pack, tmp_path, whole):
    with Engine(tiny_bundle, num_threads=1, workers=2) as eng:
        report = render_pack(pack, tmp_path / "w2", eng, jobs=2, contact_sheet=False)
    assert report.rendered == TOTAL
    assert hashes(tmp_path / "w2") == whole[1]
    assert read_manifest(tmp_path / "w2" / "manifest.json")[1] == read_manifest(whole[0].out_dir / "manifest.json")[1]


def _init_pack(folder: Path, strength: float | None = 0.5) -> tuple[Path, Path]:
    """A pack whose dog sound varies takes/bark.wav (0.6 s, no duration set) and whose rain is from noise."""
    import numpy as np
    import soundfile as sf

    (folder / "takes").mkdir(exist_ok=True)
    wav = folder / "takes" / "bark.wav"
    n = int(0.6 * 48000)
    sf.write(wav, 0.5 * np.random.default_rng(2).standard_normal(n) * np.exp(-np.arange(n) / 4800), 48000)
    dog = DOG | {"init": "takes/bark.wav", "seed": 10} | ({"strength": strength} if strength is not None else {})
    text = pack_toml("Init Test", "INIT", {"count": 2, "batch": 2, "steps": 2, "sampler": "ddim"}, [dog, RAIN])
    return write_pack(folder, text, "init_pack"), wav


def test_preset_request_carries_strength_and_init(tmp_path):
    from sfxgen.presets import load_pack
    from sfxgen.render import build_request

    path, wav = _init_pack(tmp_path)
    p = load_pack(path)
    dog, rain = plan_batches(p)
    request = build_request(p, dog, tmp_path / "staging")
    assert (request.strength, request.init_audio, request.duration) == (0.5, wav.resolve(), 0.6)
    request = build_request(p, rain, tmp_path / "staging")
    assert (request.strength, request.init_audio, request.duration) == (None, None, 2.0)


def test_render_with_init_records_strength_and_init_hash(engine, tmp_path):
    path, wav = _init_pack(tmp_path)
    report = render_pack(path, tmp_path / "out", engine, contact_sheet=False)
    assert report.rendered == 4
    digest = hashlib.sha256(wav.read_bytes()).hexdigest()
    _, entries = read_manifest(tmp_path / "out" / "manifest.json")
    assert [(e.sound, e.strength, e.init_sha256, e.source_clip) for e in entries] == [
        ("Dog Bark", 0.5, digest, ""),
        ("Dog Bark", 0.5, digest, ""),
        ("Rain Heavy", 1.0, "", ""),
        ("Rain Heavy", 1.0, "", ""),
    ]
    rows = list(csv.DictReader((tmp_path / "out" / "manifest.csv").read_text().splitlines()))
    assert (rows[0]["strength"], rows[0]["init_sha256"], rows[2]["init_sha256"]) == ("0.5", digest, "")
    info = wavinfo.WavInfoReader(str(tmp_path / "out" / entries[0].file))
    recipe = json.loads(info.ixml.raw_xml.find("./SFXGEN/RECIPE").text)
    assert (recipe["strength"], recipe["init_sha256"], recipe["duration"]) == (0.5, digest, 0.6)
    assert recipe["init_path"] == str(wav.resolve())


def test_init_default_strength_and_strength_without_a_start_sound(engine, tmp_path):
    path, _ = _init_pack(tmp_path, strength=None)
    report = render_pack(path, tmp_path / "out", engine, contact_sheet=False, sounds=["Dog Bark"])
    _, entries = read_manifest(tmp_path / "out" / "manifest.json")
    assert report.rendered == 2 and [e.strength for e in entries] == [0.6, 0.6]  # the init default
    path.write_text(path.read_text().replace('fxname = "Rain Heavy"', 'fxname = "Rain Heavy"\nstrength = 0.5'))
    with pytest.raises(PackError, match=r"sound 'Rain Heavy' \(#2\): strength < 1 needs a start sound"):
        render_pack(path, tmp_path / "out2", engine)  # the tiny bundle has no sound library
    assert not list((tmp_path / "out2").glob("*.wav"))


def test_manifests_without_the_new_fields_still_read(tmp_path, whole):
    data = json.loads((whole[0].out_dir / "manifest.json").read_text())
    for e in data["files"]:
        for key in ("strength", "init_sha256", "source_clip", "source_licence"):
            del e[key]
    old = tmp_path / "manifest.json"
    old.write_text(json.dumps(data))
    _, entries = read_manifest(old)
    assert entries == read_manifest(whole[0].out_dir / "manifest.json")[1]
    assert {(e.strength, e.init_sha256) for e in entries} == {(1.0, "")}


def test_library_seeded_render_lists_source_clips(tmp_path):
    from sfxgen.wavfile import read_wav_metadata
    from tests.helpers.tiny_bundle import TINY_CORPUS, add_tiny_library, make_tiny_bundle, make_tiny_corpus

    root = add_tiny_library(make_tiny_bundle(tmp_path / "b"), make_tiny_corpus(tmp_path / "corpus"), strength=0.5)
    rain = RAIN | {"count": 2, "seed": 4}
    text = pack_toml("Lib Test", "LIB", {"duration": 0.5, "batch": 2, "steps": 2, "sampler": "ddim"}, [rain])
    with Engine(root, num_threads=1) as eng:
        render_pack(write_pack(tmp_path, text), tmp_path / "out", eng, contact_sheet=False)
    _, entries = read_manifest(tmp_path / "out" / "manifest.json")
    assert [(e.strength, e.init_sha256, e.source_licence) for e in entries] == [(0.5, "", "CC0-1.0")] * 2
    ids = {f"{category}_{k}" for k, (category, *_) in enumerate(TINY_CORPUS)}
    for e in entries:  # the manifest names the recording each file's recipe was seeded from
        assert e.source_clip in ids
        assert e.source_clip == read_wav_metadata(tmp_path / "out" / e.file).recipe.source_clip


def test_render_flags_recording_licences_the_pack_does_not_name(tmp_path, caplog):
    from tests.helpers.tiny_bundle import add_tiny_library, make_tiny_bundle, make_tiny_corpus

    corpus = make_tiny_corpus(tmp_path / "corpus", licence="CC-BY-SA-3.0")
    root = add_tiny_library(make_tiny_bundle(tmp_path / "b"), corpus, strength=0.5)
    rain = RAIN | {"count": 2, "seed": 4}
    defaults = {"duration": 0.5, "batch": 2, "steps": 2, "sampler": "ddim"}
    reports = {}
    with Engine(root, num_threads=1) as eng:
        for lic in ("CC0-1.0", "CC-BY-SA-3.0 / GPL-2+", None):
            text = pack_toml("Lib Test", "LIB", defaults, [rain], license=lic)
            caplog.clear()
            with caplog.at_level(logging.WARNING, logger="sfxgen.render"):
                reports[lic] = render_pack(write_pack(tmp_path, text), tmp_path / str(lic).replace("/", "_"), eng)
            reports[lic, "log"] = caplog.text
    bad = reports["CC0-1.0"]
    assert bad.unhonoured_licences == {"CC-BY-SA-3.0": 2} and bad.license == "CC0-1.0"
    assert "library recording" in reports["CC0-1.0", "log"] and "'CC0-1.0' does not name" in reports["CC0-1.0", "log"]
    data = json.loads(bad.manifest.read_text())
    assert data["source_licences"] == {"CC-BY-SA-3.0": 2} and data["license"] == "CC0-1.0"
    assert data["model_license"] == "CC0-1.0 (random test weights)"  # the bundle's own
    sheet = bad.contact_sheet.read_text()
    assert "2 files are variations of library recordings" in sheet
    assert "Not named by the declared licence: CC-BY-SA-3.0." in sheet
    for ok in ("CC-BY-SA-3.0 / GPL-2+", None):  # a licence that names it, or none declared: nothing to flag
        assert reports[ok].unhonoured_licences == {} and "does not name" not in reports[ok, "log"]
        assert json.loads(reports[ok].manifest.read_text())["source_licences"] == {"CC-BY-SA-3.0": 2}
    assert "The pack declares no licence. 2 files" in reports[None].contact_sheet.read_text()


def test_loop_sounds_are_marked_in_file_manifest_and_contact_sheet(engine, tmp_path):
    text = pack_toml(
        "Loop Test", "LOOPS", {"duration": 0.6, "count": 1, "steps": 2}, [RAIN | {"loop_crossfade_ms": 200.0}, DOG]
    )
    report = render_pack(write_pack(tmp_path, text), tmp_path / "out", engine)
    rain = report.out_dir / "RAIN_Rain Heavy_TST_LOOPS_01.wav"
    smpl = wavinfo.WavInfoReader(str(rain)).smpl
    assert [(lp.start, lp.end) for lp in smpl.sample_loops] == [(0, round(0.6 * 48000) - 1)]
    entries = {e.file: e for e in read_manifest(report.out_dir / "manifest.json")[1]}
    assert entries[rain.name].loop and entries[rain.name].duration_s == 0.6
    assert not entries["ANMLDog_Dog Bark_TST_LOOPS_01.wav"].loop
    rows = {r["file"]: r["loop"] for r in csv.DictReader((report.out_dir / "manifest.csv").open())}
    assert rows == {rain.name: "True", "ANMLDog_Dog Bark_TST_LOOPS_01.wav": "False"}
    seam = entries[rain.name].loop_seam_db
    assert isinstance(seam, float) and seam >= 0 and entries["ANMLDog_Dog Bark_TST_LOOPS_01.wav"].loop_seam_db is None
    assert (report.out_dir / "contact_sheet.html").read_text().count(f"<small>loop, seam {seam:.1f} dB</small>") == 1


def test_stereo_sounds_render_stereo_files_with_a_channels_column(engine, tmp_path):
    text = pack_toml("Stereo Test", "WIDE", {"duration": 0.5, "count": 1, "steps": 2}, [RAIN | {"channels": 2}, DOG])
    report = render_pack(write_pack(tmp_path, text), tmp_path / "out", engine)
    entries = {e.file: e for e in read_manifest(report.out_dir / "manifest.json")[1]}
    rain, dog = entries["RAIN_Rain Heavy_TST_WIDE_01.wav"], entries["ANMLDog_Dog Bark_TST_WIDE_01.wav"]
    assert (rain.channels, dog.channels) == (2, 1)
    assert wavinfo.WavInfoReader(str(report.out_dir / rain.file)).fmt.channel_count == 2
    assert (report.out_dir / "contact_sheet.html").read_text().count("<small>stereo</small>") == 1


def test_files_that_miss_their_loudness_target_are_named(engine, tmp_path, caplog):
    loud = RAIN | {"loudness_lufs": -3.0}  # louder than the -1 dBFS peak ceiling lets noise get
    text = pack_toml(
        "Loud Test", "LOUD", {"duration": 0.5, "count": 2, "steps": 2}, [loud, DOG | {"loudness_lufs": -35.0}]
    )
    with caplog.at_level(logging.WARNING):
        report = render_pack(write_pack(tmp_path, text), tmp_path / "out", engine)
    rain = ("RAIN_Rain Heavy_TST_LOUD_01.wav", "RAIN_Rain Heavy_TST_LOUD_02.wav")
    assert report.off_target == rain
    entries = {e.file: e for e in read_manifest(report.out_dir / "manifest.json")[1]}
    assert entries[rain[0]].loudness_target == -3.0 and entries[rain[0]].lufs < -3.5
    dog = entries["ANMLDog_Dog Bark_TST_LOUD_01.wav"]
    assert dog.loudness_target == -35.0 and dog.lufs == pytest.approx(-35.0, abs=0.5)
    assert "2 of 4 files missed their loudness target by more than 0.5 LU" in caplog.text
    assert f"{rain[0]} ({entries[rain[0]].lufs:.1f} LUFS for -3)" in caplog.text
    sheet = (report.out_dir / "contact_sheet.html").read_text()
    assert '4 files; <span class="warn">2 missed their loudness target</span>' in sheet
    assert sheet.count("<small>target -3</small>") == 2
