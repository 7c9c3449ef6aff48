"""Every bad input of the runtime issue gets a clear error naming the fix; nothing partial is left."""

from __future__ import annotations

import json
import math
import shutil

import pytest

from sfxgen.bundle import BundleError
from sfxgen.engine import Engine, RequestError
from sfxgen.request import GenerateRequest
from tests.helpers.tiny_bundle import make_tiny_bundle


@pytest.fixture(scope="module")
def engine(tiny_bundle_full):
    with Engine(tiny_bundle_full, providers="cpu", num_threads=1) as eng:
        yield eng


def _req(tmp_path, **kw):
    base = {"prompt": "glass breaks", "seed": 1, "variations": 1, "duration": 0.5, "out_dir": tmp_path / "out"}
    return GenerateRequest(**{**base, **kw})


BAD = [
    ({"prompt": ""}, "prompt is empty"),
    ({"prompt": "x" * 10_000}, "10000 characters"),
    ({"blend_prompt": "y" * 10_000, "blend": 0.5}, "blend_prompt is 10000 characters"),
    ({"duration": -1.0}, "duration"),
    ({"duration": 0.0}, "duration"),
    ({"duration": 1e9}, "between 0.25 and 30"),
    ({"duration": math.nan}, "duration"),
    ({"variations": 0}, "variations"),
    ({"variations": 10_000}, "from 1 to 64"),
    ({"sampler": "euler_a"}, "unknown sampler 'euler_a'"),
    ({"guidance": math.nan}, "guidance"),
    ({"guidance": math.inf}, "guidance"),
    ({"guidance": -2.0}, "guidance"),
    ({"steps": 0}, "steps"),
    ({"steps": 5000}, "steps"),
    ({"seed": -3}, "seed"),
    ({"blend": 1.5, "blend_prompt": "rain"}, "blend"),
    ({"blend": 0.5}, "blend prompt"),
    ({"query_mode": "telepathy"}, "query_mode"),
    ({"file_stems": ("../escape",)}, "invalid"),
    ({"file_stems": ("a", "b")}, "2 names for 1"),
]


@pytest.mark.parametrize(("kw", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_request_is_refused_with_a_clear_error(engine, tmp_path, kw, message):
    with pytest.raises(RequestError, match=message):
        engine.submit(_req(tmp_path, **kw))
    assert engine.queued == 0
    assert engine.generate(_req(tmp_path / "next"), timeout=30).files  # keeps serving


def test_missing_image(engine, tmp_path):
    with pytest.raises(RequestError, match="does not exist"):
        engine.submit(_req(tmp_path, image=tmp_path / "nope.png"))


def test_unreadable_image(engine, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    with pytest.raises(RequestError, match="not a readable image"):
        engine.submit(_req(tmp_path, image=bad))
    with pytest.raises(RequestError, match="not a file"):
        engine.submit(_req(tmp_path, image=tmp_path))


def test_image_on_a_bundle_without_image_encoder(tiny_bundle, tmp_path):
    from PIL import Image

    img = tmp_path / "a.png"
    Image.new("RGB", (8, 8)).save(img)
    with Engine(tiny_bundle, providers="cpu", num_threads=1) as eng, pytest.raises(RequestError, match="image encoder"):
        eng.submit(_req(tmp_path, image=img))


def test_output_folder_is_a_file(engine, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(RequestError, match="is a file"):
        engine.submit(_req(tmp_path, out_dir=target))


def test_missing_output_folder_is_created(engine, tmp_path):
    res = engine.generate(_req(tmp_path, out_dir=tmp_path / "new" / "deeper"), timeout=30)
    assert res.files[0].parent == tmp_path / "new" / "deeper"


def test_uncreatable_output_folder(engine, tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(RequestError, match="cannot create output folder"):
        engine.submit(_req(tmp_path, out_dir=tmp_path / "f" / "sub"))


def test_read_only_output_folder(engine, tmp_path, monkeypatch):
    # tests run as root here, where chmod cannot make a folder read-only: stub the permission probe
    ro = tmp_path / "ro"
    ro.mkdir()
    import sfxgen.pipeline as pipeline

    monkeypatch.setattr(pipeline.os, "access", lambda path, mode: str(path) != str(ro))
    with pytest.raises(RequestError, match="read-only"):
        engine.submit(_req(tmp_path, out_dir=ro))


def test_existing_file_is_not_overwritten_unless_asked(engine, tmp_path):
    first = engine.generate(_req(tmp_path), timeout=30)
    with pytest.raises(RequestError, match="already exists"):
        engine.submit(_req(tmp_path))
    again = engine.generate(_req(tmp_path, overwrite=True), timeout=30)
    assert again.files == first.files


def test_missing_bundle(tmp_path):
    with pytest.raises(BundleError, match="not a model bundle"):
        Engine(tmp_path / "nothing")


def test_truncated_manifest(tmp_path, tiny_bundle):
    root = shutil.copytree(tiny_bundle, tmp_path / "b")
    text = (root / "bundle.json").read_text()
    (root / "bundle.json").write_text(text[: len(text) // 2])
    with pytest.raises(BundleError, match="corrupt JSON"):
        Engine(root)


def test_truncated_graph_fails_checksum(tmp_path, tiny_bundle):
    root = shutil.copytree(tiny_bundle, tmp_path / "b")
    data = (root / "denoiser.onnx").read_bytes()
    (root / "denoiser.onnx").write_bytes(data[: len(data) // 2])
    with pytest.raises(BundleError, match="checksum mismatch"):
        Engine(root)


def test_corrupt_graph_with_matching_checksum_fails_at_start(tmp_path):
    import hashlib

    root = make_tiny_bundle(tmp_path / "b")
    (root / "vocoder.onnx").write_bytes(b"garbage")
    manifest = json.loads((root / "bundle.json").read_text())
    manifest["graphs"]["vocoder"]["sha256"] = hashlib.sha256(b"garbage").hexdigest()
    (root / "bundle.json").write_text(json.dumps(manifest))
    eng = Engine(root, providers="cpu")
    with pytest.raises(RuntimeError, match=r"vocoder.onnx: onnxruntime cannot load"):
        eng.start()


def test_unknown_schema_and_missing_graph(tmp_path):
    root = make_tiny_bundle(tmp_path / "b")
    manifest = json.loads((root / "bundle.json").read_text())
    (root / "bundle.json").write_text(json.dumps({**manifest, "schema_version": 99}))
    with pytest.raises(BundleError, match="schema_version 99"):
        Engine(root)
    (root / "bundle.json").write_text(json.dumps(manifest))
    (root / "denoiser.onnx").unlink()
    with pytest.raises(BundleError, match="missing"):
        Engine(root)


def test_unknown_provider(tiny_bundle):
    with pytest.raises(ValueError, match="providers must be one of"):
        Engine(tiny_bundle, providers="tpu")
