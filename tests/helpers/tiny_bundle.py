"""A tiny, complete, valid model bundle built with ``onnx.helper`` (no torch) in well under a second.

The graphs honour the graph contract of :mod:`sfxgen.bundle` with random weights from a fixed
seed, so two bundles built with the same arguments are byte-identical. They make noise, not
sound: use them to test plumbing (engine, OSC, UI, render), never quality.

Shapes (small on purpose): E = 8 embed dim, W = 6 token width, L = 12 tokens, M = 16 mels,
mel at 16 kHz with hop 64 (250 frames per second), prior over E, image 32x32.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from sfxgen.bundle import (
    MANIFEST,
    SCHEMA_VERSION,
    Bundle,
    Defaults,
    EncoderKind,
    GraphRole,
    GraphSpec,
    PriorSpec,
    QuerySpec,
    TensorSpec,
    TokenizerKind,
    TokenizerSpec,
    VocoderOutput,
    bundle_to_json,
)
from sfxgen.configs import MelConfig, Prediction, ScheduleConfig

E, W, L = 8, 6, 12  # embed dim, token width, max tokens
IMAGE_SIZE = 32
FRAMES_MULTIPLE = 4  # the tiny denoiser declares it so tests exercise frame padding
OPSET = 17
IR_VERSION = 8

TINY_MEL = MelConfig(sample_rate=16000, n_fft=256, hop_length=64, win_length=256, n_mels=16, f_min=0.0, f_max=8000.0)
TINY_VOCAB = (
    ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    + str.split(
        "a the of door dog wood wooden metal glass heavy slam slams shut rain wind fire explosion bark steps"
        " footsteps car engine water bird thunder hit impact whoosh soft loud piano guitar , . !"
    )
    + [f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz"]
    + list("abcdefghijklmnopqrstuvwxyz0123456789")
)


def _w(rng: np.random.Generator, name: str, shape: tuple[int, ...], scale: float = 0.3) -> onnx.TensorProto:
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


def _const(name: str, value: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value), name)


def _vi(name: str, elem: int, shape: list[int | str]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, shape)


def _model(graph: onnx.GraphProto) -> onnx.ModelProto:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="tiny_bundle")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def _l2norm(nodes: list, src: str, dst: str) -> None:
    """dst = src / ||src||_2 over the last axis."""
    nodes += [
        helper.make_node("ReduceL2", [src], [f"{dst}_n"], axes=[-1], keepdims=1),
        helper.make_node("Max", [f"{dst}_n", "eps_floor"], [f"{dst}_nc"]),
        helper.make_node("Div", [src, f"{dst}_nc"], [dst]),
    ]


def text_encoder_graph(rng: np.random.Generator, vocab_size: int) -> onnx.ModelProto:
    """input_ids, attention_mask (N, L) -> text_embed (N, E) unit norm, text_tokens (N, L, W)."""
    inits = [
        _w(rng, "tok_emb", (vocab_size, W), 1.0),
        _w(rng, "proj", (W, E), 1.0),
        _const("eps_floor", np.array(1e-6, np.float32)),
        _const("ax1", np.array([1], np.int64)),
        _const("ax2", np.array([2], np.int64)),
        _const("one", np.array(1.0, np.float32)),
    ]
    nodes = [
        helper.make_node("Gather", ["tok_emb", "input_ids"], ["text_tokens"], axis=0),  # (N, L, W)
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),  # (N, L)
        helper.make_node("Unsqueeze", ["maskf", "ax2"], ["mask3"]),  # (N, L, 1)
        helper.make_node("Mul", ["text_tokens", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "ax1"], ["tsum"], keepdims=0),  # (N, W)
        helper.make_node("ReduceSum", ["maskf", "ax1"], ["msum"], keepdims=1),  # (N, 1)
        helper.make_node("Max", ["msum", "one"], ["msumc"]),
        helper.make_node("Div", ["tsum", "msumc"], ["pooled"]),
        helper.make_node("MatMul", ["pooled", "proj"], ["emb"]),  # (N, E)
    ]
    _l2norm(nodes, "emb", "text_embed")
    graph = helper.make_graph(
        nodes,
        "text_encoder",
        [_vi("input_ids", TensorProto.INT64, ["batch", L]), _vi("attention_mask", TensorProto.INT64, ["batch", L])],
        [_vi("text_embed", TensorProto.FLOAT, ["batch", E]), _vi("text_tokens", TensorProto.FLOAT, ["batch", L, W])],
        inits,
    )
    return _model(graph)


def image_encoder_graph(rng: np.random.Generator) -> onnx.ModelProto:
    """pixel_values (N, 3, H, W) -> image_embed (N, E) unit norm (patch conv + mean pool)."""
    inits = [
        _w(rng, "patch", (E, 3, 8, 8), 0.2),
        _w(rng, "patch_b", (E,), 1.0),
        _const("eps_floor", np.array(1e-6, np.float32)),
    ]
    nodes = [
        helper.make_node("Conv", ["pixel_values", "patch", "patch_b"], ["feat"], strides=[8, 8]),
        helper.make_node("GlobalAveragePool", ["feat"], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["emb"], axis=1),  # (N, E)
    ]
    _l2norm(nodes, "emb", "image_embed")
    graph = helper.make_graph(
        nodes,
        "image_encoder",
        [_vi("pixel_values", TensorProto.FLOAT, ["batch", 3, IMAGE_SIZE, IMAGE_SIZE])],
        [_vi("image_embed", TensorProto.FLOAT, ["batch", E])],
        inits,
    )
    return _model(graph)


def _time_features(nodes: list, inits: list, rng: np.random.Generator, dim: int, num_train_steps: int) -> str:
    """Adds temb (N, dim) = sin(t / T * freqs) to the graph; returns its name."""
    inits += [
        _const("inv_T", np.array(1.0 / num_train_steps, np.float32)),
        _const("t_freqs", (np.arange(1, dim + 1, dtype=np.float32) * 3.0).reshape(1, dim)),
        _const("ax1_t", np.array([1], np.int64)),
    ]
    nodes += [
        helper.make_node("Cast", ["t"], ["tf"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["tf", "inv_T"], ["tn"]),
        helper.make_node("Unsqueeze", ["tn", "ax1_t"], ["tn2"]),  # (N, 1)
        helper.make_node("Mul", ["tn2", "t_freqs"], ["targ"]),
        helper.make_node("Sin", ["targ"], ["temb"]),  # (N, dim)
    ]
    return "temb"


def denoiser_graph(rng: np.random.Generator, mel: MelConfig, num_train_steps: int) -> onnx.ModelProto:
    """x_t (N, M, T), t (N,), cond (N, E), cond_mask (N,) -> out (N, M, T); conv in time, any T."""
    M = mel.n_mels
    inits = [
        _w(rng, "conv_w", (M, M, 3), 0.15),
        _w(rng, "cond_w", (E, M), 0.5),
        _w(rng, "null_c", (1, M), 0.5),
        _w(rng, "t_w", (M, M), 0.3),
        _const("one", np.array(1.0, np.float32)),
        _const("ax1", np.array([1], np.int64)),
        _const("ax2", np.array([2], np.int64)),
    ]
    nodes: list = []
    temb = _time_features(nodes, inits, rng, M, num_train_steps)
    nodes += [
        helper.make_node("Conv", ["x_t", "conv_w"], ["h"], pads=[1, 1]),  # (N, M, T)
        helper.make_node("MatMul", ["cond", "cond_w"], ["c"]),  # (N, M)
        helper.make_node("Unsqueeze", ["cond_mask", "ax1"], ["m2"]),  # (N, 1)
        helper.make_node("Mul", ["c", "m2"], ["c_on"]),
        helper.make_node("Sub", ["one", "m2"], ["m2n"]),
        helper.make_node("Mul", ["null_c", "m2n"], ["c_off"]),
        helper.make_node("Add", ["c_on", "c_off"], ["cc"]),
        helper.make_node("MatMul", [temb, "t_w"], ["tt"]),
        helper.make_node("Add", ["cc", "tt"], ["bias"]),
        helper.make_node("Unsqueeze", ["bias", "ax2"], ["bias3"]),  # (N, M, 1)
        helper.make_node("Add", ["h", "bias3"], ["pre"]),
        helper.make_node("Tanh", ["pre"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes,
        "denoiser",
        [
            _vi("x_t", TensorProto.FLOAT, ["batch", M, "frames"]),
            _vi("t", TensorProto.INT64, ["batch"]),
            _vi("cond", TensorProto.FLOAT, ["batch", E]),
            _vi("cond_mask", TensorProto.FLOAT, ["batch"]),
        ],
        [_vi("out", TensorProto.FLOAT, ["batch", M, "frames"])],
        inits,
    )
    return _model(graph)


def prior_graph(rng: np.random.Generator, num_train_steps: int) -> onnx.ModelProto:
    """x_t, t, text_embed, text_tokens, cond_mask -> out (N, E) (an x0 guess)."""
    inits = [
        _w(rng, "xa", (E, E), 0.3),
        _w(rng, "ta", (E, E), 1.0),
        _w(rng, "tok_a", (W, E), 0.5),
        _w(rng, "st_a", (E, E), 0.3),
        _const("ax1", np.array([1], np.int64)),
    ]
    nodes: list = []
    temb = _time_features(nodes, inits, rng, E, num_train_steps)
    nodes += [
        helper.make_node("MatMul", ["x_t", "xa"], ["hx"]),
        helper.make_node("MatMul", ["text_embed", "ta"], ["ht"]),
        helper.make_node("ReduceMean", ["text_tokens"], ["tokm"], axes=[1], keepdims=0),  # (N, W)
        helper.make_node("MatMul", ["tokm", "tok_a"], ["hk"]),
        helper.make_node("Add", ["ht", "hk"], ["hc"]),
        helper.make_node("Unsqueeze", ["cond_mask", "ax1"], ["m2"]),
        helper.make_node("Mul", ["hc", "m2"], ["hcm"]),
        helper.make_node("MatMul", [temb, "st_a"], ["hs"]),
        helper.make_node("Add", ["hx", "hcm"], ["s1"]),
        helper.make_node("Add", ["s1", "hs"], ["s2"]),
        helper.make_node("Tanh", ["s2"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes,
        "prior",
        [
            _vi("x_t", TensorProto.FLOAT, ["batch", E]),
            _vi("t", TensorProto.INT64, ["batch"]),
            _vi("text_embed", TensorProto.FLOAT, ["batch", E]),
            _vi("text_tokens", TensorProto.FLOAT, ["batch", L, W]),
            _vi("cond_mask", TensorProto.FLOAT, ["batch"]),
        ],
        [_vi("out", TensorProto.FLOAT, ["batch", E])],
        inits,
    )
    return _model(graph)


def vocoder_graph(rng: np.random.Generator, mel: MelConfig, output: VocoderOutput) -> onnx.ModelProto:
    """mel (N, M, T) natural-log mel -> waveform (N, T * hop), spec_real/imag or magnitude (N, F, T)."""
    M, hop, F = mel.n_mels, mel.hop_length, mel.n_fft // 2 + 1
    inits: list = []
    nodes = [helper.make_node("Exp", ["mel"], ["mag"])]  # (N, M, T)
    if output is VocoderOutput.WAVEFORM:
        inits += [_w(rng, "frame_w", (M, hop), 0.2), _const("flat_shape", np.array([0, -1], np.int64))]
        nodes += [
            helper.make_node("Transpose", ["mag"], ["magT"], perm=[0, 2, 1]),  # (N, T, M)
            helper.make_node("MatMul", ["magT", "frame_w"], ["frames"]),  # (N, T, hop)
            helper.make_node("Reshape", ["frames", "flat_shape"], ["flat"]),  # (N, T * hop)
            helper.make_node("Tanh", ["flat"], ["waveform"]),
        ]
        outputs = [_vi("waveform", TensorProto.FLOAT, ["batch", "samples"])]
    elif output is VocoderOutput.MAGNITUDE:
        inits += [_w(rng, "re_w", (F, M), 0.2)]
        nodes += [
            helper.make_node("MatMul", ["re_w", "mag"], ["lin"]),  # (N, F, T)
            helper.make_node("Abs", ["lin"], ["magnitude"]),
        ]
        outputs = [_vi("magnitude", TensorProto.FLOAT, ["batch", F, "frames"])]
    else:
        inits += [_w(rng, "re_w", (F, M), 0.2), _w(rng, "im_w", (F, M), 0.2)]
        nodes += [
            helper.make_node("MatMul", ["re_w", "mag"], ["spec_real"]),  # (N, F, T)
            helper.make_node("MatMul", ["im_w", "mag"], ["spec_imag"]),
        ]
        outputs = [
            _vi("spec_real", TensorProto.FLOAT, ["batch", F, "frames"]),
            _vi("spec_imag", TensorProto.FLOAT, ["batch", F, "frames"]),
        ]
    graph = helper.make_graph(nodes, "vocoder", [_vi("mel", TensorProto.FLOAT, ["batch", M, "frames"])], outputs, inits)
    return _model(graph)


def _specs(model: onnx.ModelProto, which: str) -> tuple[TensorSpec, ...]:
    dtypes = {TensorProto.FLOAT: "float32", TensorProto.INT64: "int64", TensorProto.FLOAT16: "float16"}
    out = []
    for vi in getattr(model.graph, which):
        tt = vi.type.tensor_type
        shape = tuple(d.dim_param if d.dim_param else int(d.dim_value) for d in tt.shape.dim)
        out.append(TensorSpec(name=vi.name, dtype=dtypes[tt.elem_type], shape=shape))
    return tuple(out)


def _write_graph(root: Path, role: GraphRole, model: onnx.ModelProto, config: dict) -> GraphSpec:
    path = root / f"{role.value}.onnx"
    data = model.SerializeToString()
    path.write_bytes(data)
    return GraphSpec(
        file=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        inputs=_specs(model, "input"),
        outputs=_specs(model, "output"),
        config=config,
    )


def write_wordpiece_tokenizer(path: Path, vocab: list[str] = TINY_VOCAB, max_length: int = L) -> None:
    """A BERT-style WordPiece tokenizer.json ([CLS] x [SEP], lower case, padded to max_length)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    ids = {tok: i for i, tok in enumerate(vocab)}
    tok = Tokenizer(models.WordPiece(ids, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])]
    )
    tok.decoder = decoders.WordPiece()
    tok.enable_truncation(max_length=max_length)
    tok.enable_padding(pad_id=ids["[PAD]"], pad_token="[PAD]", length=max_length)
    tok.save(str(path))


def make_tiny_bundle(
    root: Path,
    *,
    vocoder: bool = True,
    prior: bool = False,
    image: bool = False,
    vocoder_output: str = "waveform",
    seed: int = 0,
    defaults: Defaults | None = None,
    prediction: Prediction = Prediction.V,
) -> Path:
    """Build a complete, valid bundle in ``root`` (created if needed) and return ``root``.

    Args:
        root: target folder.
        vocoder: include a neural vocoder graph (else the engine uses Griffin-Lim).
        prior: include a diffusion prior (CLIPSonic-PD) graph and section.
        image: include an image encoder (image queries, CLIPSonic-IQ).
        vocoder_output: "waveform", "stft" (the engine finishes it with a numpy iSTFT) or
            "magnitude" (the engine phases it with Griffin-Lim).
        seed: weights seed; the same arguments give byte-identical bundles.
        defaults: generation defaults (few steps by default so tests are fast).
        prediction: what the denoiser outputs.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    schedule = ScheduleConfig(num_train_steps=1000)
    prior_schedule = ScheduleConfig(num_train_steps=100)
    graphs: dict[GraphRole, GraphSpec] = {}

    tok_path = root / "tokenizer.json"
    write_wordpiece_tokenizer(tok_path)
    tok_spec = TokenizerSpec(
        kind=TokenizerKind.WORDPIECE,
        max_length=L,
        file=tok_path.name,
        sha256=hashlib.sha256(tok_path.read_bytes()).hexdigest(),
    )
    graphs[GraphRole.TEXT_ENCODER] = _write_graph(
        root, GraphRole.TEXT_ENCODER, text_encoder_graph(rng, len(TINY_VOCAB)), {"type": "tiny_text", "config": {}}
    )
    graphs[GraphRole.DENOISER] = _write_graph(
        root,
        GraphRole.DENOISER,
        denoiser_graph(rng, TINY_MEL, schedule.num_train_steps),
        {"type": "tiny_conv1d", "config": {"frames_multiple": FRAMES_MULTIPLE}},
    )
    voc_out = VocoderOutput(vocoder_output) if vocoder else None
    if vocoder:
        graphs[GraphRole.VOCODER] = _write_graph(
            root, GraphRole.VOCODER, vocoder_graph(rng, TINY_MEL, voc_out), {"type": "tiny_vocoder", "config": {}}
        )
    prior_spec = None
    if prior:
        prior_model = prior_graph(rng, prior_schedule.num_train_steps)
        graphs[GraphRole.PRIOR] = _write_graph(root, GraphRole.PRIOR, prior_model, {"type": "tiny_prior", "config": {}})
        prior_spec = PriorSpec(schedule=prior_schedule, prediction=Prediction.X0, num_steps=8, candidates=2)
    if image:
        graphs[GraphRole.IMAGE_ENCODER] = _write_graph(
            root, GraphRole.IMAGE_ENCODER, image_encoder_graph(rng), {"type": "tiny_image", "config": {}}
        )
    query = QuerySpec(
        kind=EncoderKind.MINILM,
        embed_dim=E,
        tokenizer=tok_spec,
        image_size=IMAGE_SIZE if image else None,
        image_mean=(0.48145466, 0.4578275, 0.40821073) if image else None,
        image_std=(0.26862954, 0.26130258, 0.27577711) if image else None,
        condition="hybrid" if image else "text",
    )
    bundle = Bundle(
        root=root,
        bundle_id=f"tiny-test-{seed}" + ("-prior" if prior else "") + ("-image" if image else ""),
        mel=TINY_MEL,
        schedule=schedule,
        prediction=prediction,
        query=query,
        graphs=graphs,
        defaults=defaults or Defaults(guidance=1.5, steps=6, sampler="dpmpp_2m", duration=1.0),
        vocoder_output=voc_out,
        prior=prior_spec,
        license="CC0-1.0 (random test weights)",
        data_card={"training_data": "none: random weights for tests"},
        manifest_sha256="",
    )
    manifest = bundle_to_json(bundle)
    assert manifest["schema_version"] == SCHEMA_VERSION
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return root


TINY_CORPUS = (  # (category, caption, split, texture): real-shaped sounds captioned in the tiny vocabulary
    ("dog_bark", "a dog bark", "train", False),
    ("dog_bark", "dog bark loud", "train", False),
    ("rain", "heavy rain", "train", True),
    ("glass", "glass impact", "train", False),
    ("rain", "rain", "test", True),
)


def make_tiny_corpus(root: Path, seconds: float = 0.6, licence: str = "CC0-1.0") -> Path:
    """A corpus folder (manifest.jsonl + FLAC clips at the tiny mel rate): decaying one-shots and steady rain."""
    import soundfile as sf

    rng = np.random.default_rng(7)
    sr = TINY_MEL.sample_rate
    n = int(seconds * sr)
    rows = []
    for k, (category, caption, split, texture) in enumerate(TINY_CORPUS):
        wave = 0.3 * rng.standard_normal(n)
        if not texture:
            wave *= np.exp(-np.arange(n) / (0.05 * sr))
        path = f"audio/{split}/{category}_{k}.flac"
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        sf.write(root / path, wave, sr)
        rows.append(
            {
                "id": f"{category}_{k}", "path": path, "split": split, "category": category, "captions": [caption],
                "licence": licence, "source_package": "tests", "duration_s": seconds,
            }
        )  # fmt: skip
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


def add_tiny_library(bundle_root: Path, corpus: Path, strength: float = 0.5) -> Path:
    """Add the tiny corpus's training clips to a bundle as its sound library (the exporter's own code)."""
    from exporters.library import LibraryConfig, build_library

    build_library(bundle_root, corpus, LibraryConfig(strength=strength))
    return bundle_root
