"""Recover a training checkpoint from a bundle's denoiser graph, to fine-tune or continue a shipped model.

A bundle holds ONNX graphs, not torch weights. The denoiser graph records the ``{"type", "config"}``
spec of the module it was exported from, so the module is rebuilt, given distinct random weights and
exported again with the bundle exporter: the same code gives the same graph, so each parameter is found
in that export by value (the exporter may rename or reshape it, e.g. GroupNorm's affine) and its value is
then read where the same node (named by module scope) reads it in the bundle's graph; initializer names
are not compared, as the exporter numbers constants and merges equal ones. The recovered module must reproduce the
bundle graph's output on random inputs, or nothing is written.

    python -m exporters.import_bundle models/default OUT.pt

Use OUT.pt as ``[loop] init_from`` of a training config (fresh optimiser, the bundle's weights).
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
from exporters.export import export_denoiser
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


def _locate(model: torch.nn.Module, exported: dict[str, np.ndarray]) -> dict[str, str]:
    """Parameter / buffer name -> the one initializer in ``exported`` holding its values (unmatched: left out)."""
    where: dict[str, str] = {}
    by_size: dict[int, list[str]] = {}
    for name, value in exported.items():
        by_size.setdefault(value.size, []).append(name)
    for name, tensor in model.state_dict().items():
        flat = tensor.detach().numpy().ravel()
        hits = [i for i in by_size.get(flat.size, []) if np.array_equal(exported[i].ravel(), flat)]
        if len(hits) == 1:
            where[name] = hits[0]
    return where


def recover_denoiser(bundle: Bundle, atol: float = 1e-4) -> torch.nn.Module:
    """The torch denoiser whose export is the bundle's denoiser graph (eval mode).

    Raises:
        CheckpointError: the graph was not exported from a registered module by this exporter, a
            parameter could not be found, or the recovered module does not reproduce the graph.
    """
    graph_path = bundle.path(GraphRole.DENOISER)
    graph_config = bundle.graphs[GraphRole.DENOISER].config
    spec = {k: graph_config[k] for k in ("type", "config") if k in graph_config}
    if set(spec) != {"type", "config"}:
        raise CheckpointError(f"{graph_path}: the graph does not record the torch module it was exported from")
    model = build(spec, f"{graph_path} config").eval()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # distinct parameter values (zero-initialised layers included) so matches are unique;
        for param in model.parameters():  # buffers keep the values their config gives them
            param.copy_(torch.rand(param.shape, generator=gen) + 0.5)
    with tempfile.TemporaryDirectory() as tmp:
        export_denoiser(model, Path(tmp) / "denoiser.onnx")
        exported, exported_inputs = _inputs_by_reader(Path(tmp) / "denoiser.onnx")
    readers: dict[str, tuple[str, int]] = {}  # initializer -> the first (node, input index) reading it
    for key, init in exported_inputs.items():
        readers.setdefault(init, key)
    shipped, shipped_inputs = _inputs_by_reader(graph_path)
    where = {  # parameter -> initializer name in the shipped graph
        name: shipped_inputs[readers[init]]
        for name, init in _locate(model, exported).items()
        if readers.get(init) in shipped_inputs
    }
    state = model.state_dict()
    where = {name: init for name, init in where.items() if shipped[init].size == state[name].numel()}
    params = {name for name, _ in model.named_parameters()}
    missing = sorted(n for n in params if n not in where)
    if missing:
        raise CheckpointError(
            f"{graph_path}: {len(missing)} parameters not found in the graph (e.g. {missing[:3]}); "
            "was it exported by another version of the exporter?"
        )
    with torch.no_grad():
        for name, init in where.items():
            state[name].copy_(torch.from_numpy(shipped[init].astype(np.float32).reshape(state[name].shape)))
    _check_reproduces(model, graph_path, bundle, atol)
    return model


def _check_reproduces(model: torch.nn.Module, graph_path: Path, bundle: Bundle, atol: float) -> None:
    cfg = model.config
    rng = np.random.default_rng(0)
    frames = 8 * cfg.frames_multiple
    feeds = {
        "x_t": rng.standard_normal((2, cfg.n_mels, frames)).astype(np.float32),
        "t": np.array([100, bundle.schedule.num_train_steps - 1], np.int64),
        "cond": rng.standard_normal((2, cfg.cond_dim)).astype(np.float32) / cfg.cond_dim**0.5,
        "cond_mask": np.array([1.0, 0.0], np.float32),
    }
    want = ort.InferenceSession(str(graph_path), providers=["CPUExecutionProvider"]).run(["out"], feeds)[0]
    with torch.inference_mode():
        got = model(*(torch.from_numpy(v) for v in feeds.values())).numpy()
    err = float(np.abs(got - want).max())
    if not err <= atol:
        raise CheckpointError(f"{graph_path}: recovered weights differ from the graph (max |diff| {err:.3g})")
    log.info("recovered denoiser reproduces %s (max |diff| %.2g)", graph_path.name, err)


def checkpoint_from_bundle(bundle_dir: str | Path) -> Checkpoint:
    """A checkpoint (step 0, no optimiser state) holding the bundle's denoiser as raw and EMA weights."""
    bundle = load_bundle(bundle_dir)
    model = recover_denoiser(bundle)
    return make_checkpoint(
        {"denoiser": model},
        mel=bundle.mel,
        diffusion=DiffusionConfig(schedule=bundle.schedule, prediction=bundle.prediction),
        ema={"denoiser": model},
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
