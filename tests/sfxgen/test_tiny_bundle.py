"""The tiny test bundle loads, validates, runs in onnxruntime and is reproducible."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from sfxgen.bundle import BundleError, GraphRole, load_bundle
from tests.helpers.tiny_bundle import make_tiny_bundle


def _session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("kw", [{}, {"prior": True, "image": True, "vocoder_output": "stft"}, {"vocoder": False}])
def test_tiny_bundle_loads_and_runs(tmp_path, kw):
    bundle = load_bundle(make_tiny_bundle(tmp_path, **kw))
    for role in bundle.graphs:
        _session(bundle.path(role))
    assert bundle.has(GraphRole.PRIOR) == kw.get("prior", False)
    assert bundle.has(GraphRole.IMAGE_ENCODER) == kw.get("image", False)
    assert bundle.has(GraphRole.VOCODER) == kw.get("vocoder", True)
    den = _session(bundle.path(GraphRole.DENOISER))
    M, E = bundle.mel.n_mels, bundle.query.embed_dim
    for frames in (4, 37):  # dynamic batch and frames axes
        (out,) = den.run(
            None,
            {
                "x_t": np.zeros((3, M, frames), np.float32),
                "t": np.array([0, 500, 999]),
                "cond": np.ones((3, E), np.float32),
                "cond_mask": np.array([1, 0, 1], np.float32),
            },
        )
        assert out.shape == (3, M, frames)
    # cond_mask 0 ignores cond: the learned null condition
    feeds = {"x_t": np.zeros((2, M, 8), np.float32), "t": np.array([3, 3]), "cond_mask": np.zeros(2, np.float32)}
    a = den.run(None, {**feeds, "cond": np.zeros((2, E), np.float32)})[0]
    b = den.run(None, {**feeds, "cond": np.ones((2, E), np.float32)})[0]
    np.testing.assert_array_equal(a, b)


def test_tiny_bundle_is_byte_reproducible(tmp_path):
    a = load_bundle(make_tiny_bundle(tmp_path / "a"))
    b = load_bundle(make_tiny_bundle(tmp_path / "b"))
    assert a.manifest_sha256 == b.manifest_sha256
    assert load_bundle(make_tiny_bundle(tmp_path / "c", seed=1)).manifest_sha256 != a.manifest_sha256


def test_tiny_bundle_text_embed_is_unit_norm(tiny_bundle):
    from tokenizers import Tokenizer

    bundle = load_bundle(tiny_bundle)
    tok = Tokenizer.from_file(str(bundle.root / bundle.query.tokenizer.file))
    enc = tok.encode_batch(["heavy wooden door slams shut", "rain"])
    ids = np.array([e.ids for e in enc], np.int64)
    mask = np.array([e.attention_mask for e in enc], np.int64)
    emb, tokens = _session(bundle.path(GraphRole.TEXT_ENCODER)).run(None, {"input_ids": ids, "attention_mask": mask})
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, rtol=1e-5)
    assert tokens.shape == (2, bundle.query.tokenizer.max_length, 6)
    assert not np.allclose(emb[0], emb[1])


def test_checksum_mismatch_is_refused(tmp_path):
    root = make_tiny_bundle(tmp_path)
    with open(root / "denoiser.onnx", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(BundleError, match="checksum mismatch"):
        load_bundle(root)


def test_library_file_is_checked_like_a_graph(tmp_path):
    import json

    from tests.helpers.tiny_bundle import add_tiny_library, make_tiny_corpus

    root = add_tiny_library(make_tiny_bundle(tmp_path / "b"), make_tiny_corpus(tmp_path / "corpus"), strength=0.7)
    bundle = load_bundle(root)
    assert bundle.library.entries == 4 and bundle.library.license == "CC0-1.0" and bundle.defaults.strength == 0.7
    with open(root / "library.npz", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(BundleError, match="checksum mismatch"):
        load_bundle(root)
    (root / "library.npz").unlink()
    with pytest.raises(BundleError, match=r"sound library file 'library\.npz' is missing"):
        load_bundle(root)
    data = json.loads((root / "bundle.json").read_text())
    del data["library"]
    data["defaults"]["strength"] = 0.0
    (root / "bundle.json").write_text(json.dumps(data))
    with pytest.raises(BundleError, match=r"defaults.strength 0.0 must be in \(0, 1\]"):
        load_bundle(root)
