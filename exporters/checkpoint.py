"""Checkpoints that carry their own configs.

A checkpoint file is a ``torch.save`` of one plain dict (loadable with
``weights_only=True``)::

    {
      "format": "sfxgen-checkpoint", "version": 1,
      "components": {ROLE: {"spec": {"type", "config"}, "state_dict": {...}, "ema": {...} | None}},
      "mel": MelConfig dict, "diffusion": DiffusionConfig dict | None (denoiser),
      "prior_diffusion": DiffusionConfig dict | None, "query": {...} (text encoder kind/config, opaque here),
      "step": int, "train_state": {...} (optimizer etc., opaque), "meta": {...}
    }

ROLE is one of "denoiser", "vocoder", "prior" (others are kept as they are).
Loading into a module of another architecture or config fails with a message
that names the differing type or fields.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from exporters.configs import (
    DiffusionConfig,
    build,
    diffusion_from_dict,
    diffusion_to_dict,
    parse_spec,
    spec_of,
)
from exporters.diffusion import EMA
from sfxgen.configs import ConfigError, MelConfig, from_dict, to_dict

FORMAT = "sfxgen-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, or does not match the model it is loaded into."""


@dataclasses.dataclass
class Component:
    spec: dict[str, Any]  # {"type", "config"} (JSON-ready)
    state_dict: dict[str, torch.Tensor]  # raw training weights
    ema: dict[str, torch.Tensor] | None = None  # EMA weights (exported when present)


@dataclasses.dataclass
class Checkpoint:
    components: dict[str, Component]
    mel: MelConfig = dataclasses.field(default_factory=MelConfig)
    diffusion: DiffusionConfig | None = None  # denoiser's schedule / prediction
    prior_diffusion: DiffusionConfig | None = None
    query: dict[str, Any] = dataclasses.field(default_factory=dict)  # text/image encoder kind + config
    step: int = 0
    train_state: dict[str, Any] = dataclasses.field(default_factory=dict)
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)
    path: Path | None = None  # where it was loaded from


def make_checkpoint(
    models: dict[str, nn.Module],
    *,
    mel: MelConfig | None = None,
    diffusion: DiffusionConfig | None = None,
    prior_diffusion: DiffusionConfig | None = None,
    ema: dict[str, EMA | nn.Module] | None = None,
    query: dict[str, Any] | None = None,
    step: int = 0,
    train_state: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
) -> Checkpoint:
    """Snapshot registered modules (built by :func:`exporters.configs.build`) into a Checkpoint."""
    ema = ema or {}
    components = {}
    for role, model in models.items():
        e = ema.get(role)
        e_model = e.model if isinstance(e, EMA) else e
        components[role] = Component(
            spec=spec_of(model),
            state_dict={k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
            ema=None if e_model is None else {k: v.detach().cpu().clone() for k, v in e_model.state_dict().items()},
        )
    return Checkpoint(
        components=components,
        mel=mel or MelConfig(),
        diffusion=diffusion,
        prior_diffusion=prior_diffusion,
        query=dict(query or {}),
        step=step,
        train_state=dict(train_state or {}),
        meta=dict(meta or {}),
    )


def save_checkpoint(path: str | Path, ckpt: Checkpoint) -> Path:
    """Write atomically (temp file + rename) so an interrupted save never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "format": FORMAT,
        "version": VERSION,
        "components": {
            role: {"spec": c.spec, "state_dict": c.state_dict, "ema": c.ema} for role, c in ckpt.components.items()
        },
        "mel": to_dict(ckpt.mel),
        "diffusion": None if ckpt.diffusion is None else diffusion_to_dict(ckpt.diffusion),
        "prior_diffusion": None if ckpt.prior_diffusion is None else diffusion_to_dict(ckpt.prior_diffusion),
        "query": ckpt.query,
        "step": int(ckpt.step),
        "train_state": ckpt.train_state,
        "meta": ckpt.meta,
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(data, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read and validate a checkpoint file (specs parsed, weights not yet loaded into modules)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found; pass the .pt file written by `sfxgen train`")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"{path}: not a readable torch checkpoint ({type(exc).__name__}: {exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an sfxgen checkpoint (no format={FORMAT!r} marker)")
    if data.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {data.get('version')!r} unsupported (reads {VERSION})")
    try:
        components = {}
        for role, c in data["components"].items():
            parse_spec(c["spec"], f"{path}: components.{role}.spec")
            components[role] = Component(spec=c["spec"], state_dict=c["state_dict"], ema=c.get("ema"))
        return Checkpoint(
            components=components,
            mel=from_dict(MelConfig, data["mel"], f"{path}: mel"),
            diffusion=None if data.get("diffusion") is None else diffusion_from_dict(data["diffusion"]),
            prior_diffusion=(
                None if data.get("prior_diffusion") is None else diffusion_from_dict(data["prior_diffusion"])
            ),
            query=dict(data.get("query") or {}),
            step=int(data.get("step", 0)),
            train_state=dict(data.get("train_state") or {}),
            meta=dict(data.get("meta") or {}),
            path=path,
        )
    except KeyError as exc:
        raise CheckpointError(f"{path}: missing key {exc}") from exc
    except ConfigError as exc:
        raise CheckpointError(str(exc)) from exc


def _component(ckpt: Checkpoint, role: str) -> Component:
    if role not in ckpt.components:
        where = ckpt.path or "checkpoint"
        raise CheckpointError(f"{where}: has no {role!r} component (it has {sorted(ckpt.components)})")
    return ckpt.components[role]


def _weights(comp: Component, use_ema: bool) -> dict[str, torch.Tensor]:
    return comp.ema if use_ema and comp.ema is not None else comp.state_dict


def check_spec(ckpt: Checkpoint, role: str, spec: dict[str, Any]) -> None:
    """Raise CheckpointError naming the type or the config fields where ``spec`` differs from the stored one."""
    stored = _component(ckpt, role).spec
    where = f"{ckpt.path or 'checkpoint'}: component {role!r}"
    kind_a, cfg_a = parse_spec(stored)
    kind_b, cfg_b = parse_spec(spec)
    if kind_a != kind_b:
        raise CheckpointError(f"{where} is a {kind_a!r} model, not {kind_b!r}; use a matching config or checkpoint")
    a, b = to_dict(cfg_a), to_dict(cfg_b)
    diff = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
    if diff:
        detail = ", ".join(f"{k}: checkpoint {va!r} vs given {vb!r}" for k, (va, vb) in diff.items())
        raise CheckpointError(f"{where}: config mismatch ({detail})")


def build_component(
    ckpt: Checkpoint, role: str, use_ema: bool = True, expect: dict[str, Any] | None = None
) -> nn.Module:
    """Build a component from its stored spec and load its (EMA) weights; eval mode.

    Args:
        expect: optional spec the caller requires; a mismatch raises CheckpointError.
    """
    comp = _component(ckpt, role)
    if expect is not None:
        check_spec(ckpt, role, expect)
    model = build(comp.spec, f"components.{role}.spec")
    _load_weights(model, _weights(comp, use_ema), f"{ckpt.path or 'checkpoint'}: component {role!r}")
    return model.eval()


def load_into(model: nn.Module, ckpt: Checkpoint, role: str, use_ema: bool = False) -> nn.Module:
    """Load a checkpoint component into an existing module, refusing another architecture or config."""
    check_spec(ckpt, role, spec_of(model))
    _load_weights(model, _weights(_component(ckpt, role), use_ema), f"{ckpt.path or 'checkpoint'}: {role!r}")
    return model


def _load_weights(model: nn.Module, state: dict[str, torch.Tensor], where: str) -> None:
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = " ".join(str(exc).splitlines()[:4])
        raise CheckpointError(f"{where}: weights do not fit the model built from its config: {first}") from exc
