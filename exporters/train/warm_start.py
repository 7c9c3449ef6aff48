"""Warm-start a denoiser under a changed spec without changing what it computes.

``python -m exporters.train.warm_start IN.pt OUT.pt --cond-scale 19.6`` rewrites the denoiser's spec with
the new scale and divides the first layer of its condition MLP by the same factor, so the network's output
is unchanged (tested); only the optimisation differs: the condition path now sees unit-variance inputs and
Adam moves its (smaller) weights relatively faster. ``--refiner-channels 32`` adds a 2-D frequency refiner
to a 1-D denoiser (its output convolution starts at zero, so again the output is unchanged); train it with
``[optim] train_only = ["refiner."]``. Use OUT.pt as ``[loop] init_from`` of a new run.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import logging
from pathlib import Path

from exporters.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from exporters.configs import build, parse_spec, spec_of

log = logging.getLogger(__name__)
FIRST_COND_LAYER = "embed.cond_mlp.0.weight"  # Linear(E, D) that the scaled condition enters


def rescale_condition(ckpt: Checkpoint, cond_scale: float, role: str = "denoiser") -> Checkpoint:
    """A copy of ckpt whose ``role`` has ``cond_scale`` and the same function."""
    if cond_scale <= 0:
        raise ValueError("cond_scale must be positive")
    out = copy.deepcopy(ckpt)
    comp = out.components[role]
    old = float(comp.spec["config"].get("cond_scale", 1.0))
    factor = old / cond_scale  # new_w = w * old / new keeps new_w @ (new * c) == w @ (old * c)
    comp.spec = {**comp.spec, "config": {**comp.spec["config"], "cond_scale": cond_scale}}
    for weights in (comp.state_dict, comp.ema):
        if weights is not None:
            weights[FIRST_COND_LAYER] = weights[FIRST_COND_LAYER] * factor
    out.train_state = {}  # a new run starts its own optimiser and data order
    out.meta = {**out.meta, "warm_start": {"from_step": ckpt.step, "cond_scale": [old, cond_scale]}}
    return out


def add_refiner(ckpt: Checkpoint, channels: int, blocks: int = 2, role: str = "denoiser") -> Checkpoint:
    """A copy of ckpt whose 1-D denoiser has a (zero-output, so identity) 2-D frequency refiner."""
    comp = ckpt.components[role]
    if comp.spec["type"] != "denoiser_1d":
        raise ValueError(f"a refiner is added to a denoiser_1d, not {comp.spec['type']!r}")
    if comp.spec["config"].get("refiner_channels", 0):
        raise ValueError("this denoiser already has a refiner")
    out = copy.deepcopy(ckpt)
    model = build(
        {**comp.spec, "config": {**comp.spec["config"], "refiner_channels": channels, "refiner_blocks": blocks}}
    )
    fresh = {k: v for k, v in model.state_dict().items() if k.startswith("refiner.")}
    new = out.components[role]
    new.spec = spec_of(model)
    for weights in (new.state_dict, new.ema):
        if weights is not None:
            weights.update({k: v.clone() for k, v in fresh.items()})
    out.train_state = {}
    earlier = out.meta.get("warm_start", {})
    out.meta = {**out.meta, "warm_start": {**earlier, "from_step": ckpt.step, "refiner": [channels, blocks]}}
    return out


def with_refiner_of(ckpt: Checkpoint, spec: dict, role: str = "denoiser") -> Checkpoint:
    """ckpt, plus an (identity) refiner when ``spec`` is its denoiser with one added; else ckpt unchanged."""
    comp = ckpt.components.get(role)
    if comp is None or comp.spec["type"] != "denoiser_1d" or spec.get("type") != "denoiser_1d":
        return ckpt
    have, want = parse_spec(comp.spec)[1], parse_spec(spec)[1]
    if have.refiner_channels or not want.refiner_channels:
        return ckpt
    if dataclasses.replace(want, refiner_channels=0, refiner_blocks=have.refiner_blocks) != have:
        return ckpt  # another UNet: load_into names the difference
    log.info("adding a %d-channel frequency refiner (identity until trained) to %s", want.refiner_channels, ckpt.path)
    return add_refiner(ckpt, want.refiner_channels, want.refiner_blocks, role)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--cond-scale", type=float, help="new condition scale (same function)")
    parser.add_argument("--refiner-channels", type=int, help="add a 2-D frequency refiner this wide (identity)")
    parser.add_argument("--refiner-blocks", type=int, default=2, help="its residual blocks (default 2)")
    args = parser.parse_args(argv)
    if args.cond_scale is None and args.refiner_channels is None:
        parser.error("give --cond-scale and/or --refiner-channels")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    ckpt = src = load_checkpoint(args.checkpoint)
    if args.cond_scale is not None:
        ckpt = rescale_condition(ckpt, args.cond_scale)
    if args.refiner_channels is not None:
        ckpt = add_refiner(ckpt, args.refiner_channels, args.refiner_blocks)
    save_checkpoint(args.out, ckpt)
    log.info("wrote %s (step %d weights, %s)", args.out, src.step, ckpt.meta["warm_start"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
