"""Recover a training checkpoint from a bundle's graphs, to fine-tune or continue a shipped model.

A bundle holds ONNX graphs, not torch weights. The denoiser graph, and a neural vocoder's, record the
``{"type", "config"}`` spec of the module each was exported from, so the module is rebuilt, given
distinct random weights and exported again with the bundle exporter: the same code gives the same
graph, so each parameter is found in that export by value (the exporter may rename or reshape it,
e.g. GroupNorm's affine, or transpose it, a Linear's weight) and its value is then read where the
same node (named by module scope) reads it in the bundle's graph; initializer names are not
compared, as the exporter numbers constants and merges equal ones. Each recovered module must
reproduce its graph's output on random inputs, or nothing is written.

    python -m exporters.import_bundle models/default OUT.pt

Use OUT.pt as ``[loop] init_from`` of a training config (fresh optimiser, the bundle's weights): the
denoiser recipes read its ``denoiser``, the vocoder recipes its ``vocoder`` (``sfxgen train --init-from
BUNDLE`` does both steps).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper

from exporters.checkpoint import Checkpoint, CheckpointError, make_checkpoint, save_checkpoint
from exporters.configs import DiffusionConfig, build
from exporters.export import export_denoiser, export_vocoder
from sfxgen.bundle import Bundle, GraphRole, load_bundle

log = logging.getLogger(__name__)


def _inputs_by_reader(path: Path) -> tuple[dict[str, np.ndarray], dict[tuple[str, int], str]]:
    """(initializer name -> values, (node name, input index) -> the initializer that input reads).

    Follows Identity nodes: the exporter shares one initializer between equal constants that way.
    """
    graph = onnx.load(str(path)).graph
    values = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    alias = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "Identity"}

    def source(name: str) -> str:
        while name in alias:
            name = alias[name]
        return name

    reads = {(n.name, i): source(x) for n in graph.node if n.op_type != "Identity" for i, x in enumerate(n.input)}
    return values, {key: x for key, x in reads.items() if x in values}


def _locate(model: torch.nn.Module, exported: dict[str, np.ndarray]) -> dict[str, tuple[str, bool]]:
    """Parameter / buffer name -> (the one initializer in ``exported`` holding its values, whether transposed).

    The exporter stores a Linear's (out, in) weight as MatMul's (in, out): a matrix is also looked for
    transposed. Unmatched names are left out.
    """
    where: dict[str, tuple[str, bool]] = {}
    by_size: dict[int, list[str]] = {}
    for name, value in exported.items():
        by_size.setdefault(value.size, []).append(name)
    for name, tensor in model.state_dict().items():
        value = tensor.detach().numpy()
        forms = [(value.ravel(), False)] + ([(value.T.ravel(), True)] if value.ndim == 2 else [])
        hits = [
            (i, t) for flat, t in forms for i in by_size.get(flat.size, []) if np.array_equal(exported[i].ravel(), flat)
        ]
        if len(hits) == 1:
            where[name] = hits[0]
    return where


_EXPORTERS = {GraphRole.DENOISER: export_denoiser, GraphRole.VOCODER: export_vocoder}


def recover_module(bundle: Bundle, role: GraphRole = GraphRole.DENOISER, atol: float = 1e-4) -> torch.nn.Module:
    """The torch module whose export is the bundle's ``role`` graph (eval mode).

    Raises:
        CheckpointError: the bundle has no such graph, it was not exported from a registered module by
            this exporter, a parameter could not be found, or the recovered module does not reproduce it.
    """
    if role not in bundle.graphs:
        raise CheckpointError(f"{bundle.root}: the bundle has no {role.value} graph")
    graph_path = bundle.path(role)
    graph_config = bundle.graphs[role].config
    spec = {k: graph_config[k] for k in ("type", "config") if k in graph_config}
    if set(spec) != {"type", "config"}:
        raise CheckpointError(f"{graph_path}: the graph does not record the torch module it was exported from")
    model = build(spec, f"{graph_path} config").eval()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # distinct parameter values (zero-initialised layers included) so matches are unique;
        for param in model.parameters():  # buffers keep the values their config gives them
            param.copy_(torch.rand(param.shape, generator=gen) + 0.5)
    with tempfile.TemporaryDirectory() as tmp:
        _EXPORTERS[role](model, Path(tmp) / "graph.onnx")
        exported, exported_inputs = _inputs_by_reader(Path(tmp) / "graph.onnx")
    readers: dict[str, tuple[str, int]] = {}  # initializer -> the first (node, input index) reading it
    for key, init in exported_inputs.items():
        readers.setdefault(init, key)
    shipped, shipped_inputs = _inputs_by_reader(graph_path)
    where = {  # parameter -> (initializer name in the shipped graph, transposed)
        name: (shipped_inputs[readers[init]], transposed)
        for name, (init, transposed) in _locate(model, exported).items()
        if readers.get(init) in shipped_inputs
    }
    state = model.state_dict()
    where = {name: at for name, at in where.items() if shipped[at[0]].size == state[name].numel()}
    params = {name for name, _ in model.named_parameters()}
    missing = sorted(n for n in params if n not in where)
    if missing:
        raise CheckpointError(
            f"{graph_path}: {len(missing)} parameters not found in the graph (e.g. {missing[:3]}); "
            "was it exported by another version of the exporter?"
        )
    with torch.no_grad():
        for name, (init, transposed) in where.items():
            value = shipped[init].astype(np.float32)
            value = value.reshape(state[name].shape[::-1]).T if transposed else value.reshape(state[name].shape)
            state[name].copy_(torch.from_numpy(np.ascontiguousarray(value)))
    _check_reproduces(model, graph_path, _check_feeds(model, role, bundle), atol)
    return model


def _check_feeds(model: torch.nn.Module, role: GraphRole, bundle: Bundle) -> dict[str, np.ndarray]:
    """Random inputs the recovered module and the graph must agree on."""
    cfg = model.config
    rng = np.random.default_rng(0)
    if role is GraphRole.VOCODER:  # a natural-log mel around the corpus's level
        return {"mel": (rng.standard_normal((2, cfg.n_mels, 24)) * 2.0 - 5.0).astype(np.float32)}
    frames = 8 * cfg.frames_multiple
    return {
        "x_t": rng.standard_normal((2, cfg.n_mels, frames)).astype(np.float32),
        "t": np.array([100, bundle.schedule.num_train_steps - 1], np.int64),
        "cond": rng.standard_normal((2, cfg.cond_dim)).astype(np.float32) / cfg.cond_dim**0.5,
        "cond_mask": np.array([1.0, 0.0], np.float32),
    }


def _check_reproduces(model: torch.nn.Module, graph_path: Path, feeds: dict[str, np.ndarray], atol: float) -> None:
    """Every output of the module within atol of the graph's, relative to that output's peak."""
    session = ort.InferenceSession(str(graph_path), providers=["CPUExecutionProvider"])
    want = session.run(None, feeds)
    with torch.inference_mode():
        got = model(*(torch.from_numpy(v) for v in feeds.values()))
    got = [got] if isinstance(got, torch.Tensor) else list(got)
    err = max(
        float(np.abs(g.numpy() - w).max() / max(1.0, float(np.abs(w).max()))) for g, w in zip(got, want, strict=True)
    )
    if not err <= atol:
        raise CheckpointError(f"{graph_path}: recovered weights differ from the graph (max |diff| {err:.3g})")
    log.info("recovered %s reproduces its graph (max |diff| %.2g)", graph_path.name, err)


def checkpoint_from_bundle(bundle_dir: str | Path, roles: tuple[str, ...] | None = None) -> Checkpoint:
    """A checkpoint (step 0, no optimiser state) holding the bundle's modules as raw and EMA weights.

    roles: the components to recover ("denoiser", "vocoder"); None: the denoiser, and the vocoder when the
    bundle has a neural one.
    """
    bundle = load_bundle(bundle_dir)
    if roles is None:
        roles = tuple(r.value for r in _EXPORTERS if r in bundle.graphs)
    unknown = sorted(set(roles) - {r.value for r in _EXPORTERS})
    if unknown:
        raise CheckpointError(f"cannot recover {unknown} from a bundle (only {[r.value for r in _EXPORTERS]})")
    models = {role: recover_module(bundle, GraphRole(role)) for role in roles}
    return make_checkpoint(
        models,
        mel=bundle.mel,
        diffusion=DiffusionConfig(schedule=bundle.schedule, prediction=bundle.prediction),
        ema=dict(models),
        meta={"recovered_from": {"bundle_id": bundle.bundle_id, "path": str(bundle_dir)}},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    save_checkpoint(args.out, checkpoint_from_bundle(args.bundle))
    log.info("wrote %s; use it as [loop] init_from to fine-tune", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
