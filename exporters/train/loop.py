"""The shared, config-driven training loop.

One loop trains every recipe: a :class:`Task` owns the model, builds batches
and computes the loss; the loop owns AdamW, warm-up, gradient clipping, EMA,
checkpoints, logs, DDP and AMP. A task with a ``discriminator`` (an
:class:`AdversarialTask`, the GAN vocoder) gets a second AdamW for it and
alternating updates as in HiFi-GAN: one generator forward, a discriminator step
on its detached output, then a generator step against the updated discriminator.

Determinism and exact resume: nothing random is carried from step to step.
Step ``s`` draws its data order from ``(seed, epoch)`` permutations, its
augmentation from ``(seed, s, position)`` generators and its noise / dropout
from a torch generator seeded with ``(seed, s, rank)``. A checkpoint holds
model, EMA, optimiser and step (the discriminator and its optimiser in
``train_state``; and, for completeness, the python / numpy / torch global RNG
states), so N straight steps and k steps + kill + resume to N
give bit-identical weights on the same machine.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import dataclasses
import functools
import json
import logging
import math
import os
import random
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from exporters.checkpoint import Checkpoint, load_checkpoint, load_into, make_checkpoint, save_checkpoint
from exporters.configs import spec_of
from exporters.train.config import OptimConfig, TrainConfig, config_to_dict
from exporters.train.warm_start import with_refiner_of

logger = logging.getLogger(__name__)

CHECKPOINT = "last.pt"


class Task(Protocol):
    """What a recipe provides to the loop."""

    model: nn.Module  # the trained network (optimised, EMA'd, checkpointed)
    role: str  # checkpoint component role: "denoiser" | "vocoder" | "prior"

    def num_items(self) -> int: ...

    def make_batch(self, indices: np.ndarray, rngs: list[np.random.Generator]) -> dict[str, torch.Tensor]: ...

    def loss(
        self, model: nn.Module, batch: dict[str, torch.Tensor], generator: torch.Generator
    ) -> tuple[torch.Tensor, dict[str, float]]: ...

    def checkpoint_fields(self) -> dict[str, Any]: ...  # mel, diffusion, query, meta (exporters.checkpoint)

    def diagnostics(self, ema_model: nn.Module, step: int, out_dir: Path) -> dict[str, float]: ...


class AdversarialTask(Task, Protocol):
    """A task whose model (the generator G) trains against a discriminator D when ``discriminator`` is set.

    Each step: ``outputs = generate(G, batch)``; from ``disc_start_step`` on, one D update on
    ``discriminator_loss(D, outputs)`` (G's outputs detached); then one G update on
    ``generator_loss(D, outputs)``, with D None before the start (reconstruction losses alone).
    """

    discriminator: nn.Module | None  # training-only: weights and optimiser in train_state, never a component
    disc_optim: OptimConfig  # D's AdamW: lr, betas, weight decay, warm-up, clipping (ema_decay unused)
    disc_start_step: int  # first step (0-based) with D updates and adversarial generator losses

    def generate(
        self, model: nn.Module, batch: dict[str, torch.Tensor], generator: torch.Generator
    ) -> dict[str, torch.Tensor]: ...

    def discriminator_loss(
        self, discriminator: nn.Module, outputs: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]: ...

    def generator_loss(
        self, discriminator: nn.Module | None, outputs: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]: ...


@dataclasses.dataclass
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def dist_info() -> DistInfo:
    """Rank / world size from torchrun's environment (1 process when WORLD_SIZE is unset)."""
    return DistInfo(
        rank=int(os.environ.get("RANK", 0)),
        world_size=int(os.environ.get("WORLD_SIZE", 1)),
        local_rank=int(os.environ.get("LOCAL_RANK", 0)),
    )


def init_distributed() -> DistInfo:
    """Join the torchrun process group when WORLD_SIZE > 1 (NCCL on CUDA, gloo on CPU); idempotent."""
    dist = dist_info()
    if dist.world_size > 1:
        import torch.distributed as tdist

        if not tdist.is_initialized():
            tdist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        if torch.cuda.is_available():
            torch.cuda.set_device(dist.local_rank)
    return dist


def barrier() -> None:
    """Wait for every rank (no-op in a single process)."""
    import torch.distributed as tdist

    if tdist.is_available() and tdist.is_initialized():
        tdist.barrier()


def derive_seed(*parts: int) -> int:
    """A 63-bit seed from integers, independent for different tuples (numpy SeedSequence)."""
    return int(np.random.SeedSequence([int(p) & 0xFFFFFFFF for p in parts]).generate_state(2, np.uint64)[0] >> 1)


class DataOrder:
    """Global sample order: epoch e visits a permutation drawn from (seed, e)."""

    def __init__(self, num_items: int, seed: int) -> None:
        if num_items <= 0:
            raise ValueError("no training items")
        self.n = num_items
        self.seed = seed
        self._perms: dict[int, np.ndarray] = {}

    def _perm(self, epoch: int) -> np.ndarray:
        if epoch not in self._perms:
            if len(self._perms) > 4:
                self._perms.pop(min(self._perms))
            self._perms[epoch] = np.random.default_rng([self.seed, epoch]).permutation(self.n)
        return self._perms[epoch]

    def positions(self, step: int, batch_size: int) -> np.ndarray:
        return np.arange(step * batch_size, (step + 1) * batch_size, dtype=np.int64)

    def indices(self, positions: np.ndarray) -> np.ndarray:
        return np.array([self._perm(int(p) // self.n)[int(p) % self.n] for p in positions], dtype=np.int64)


def atomic_save(ckpt: Checkpoint, path: Path) -> None:
    """Save an :mod:`exporters.checkpoint` file via a fsynced temporary file renamed over path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        save_checkpoint(tmp, ckpt)  # itself atomic within tmp's name
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def lr_at(step: int, optim: OptimConfig) -> float:
    """Linear warm-up to optim.lr, then constant (the papers' AdamW at 1e-4)."""
    warm = optim.warmup_steps
    return optim.lr * min(1.0, (step + 1) / warm) if warm > 0 else optim.lr


def _update(
    loss: torch.Tensor,
    opt: torch.optim.Optimizer,
    module: nn.Module,
    grad_clip: float,
    scaler: torch.amp.GradScaler | None,
) -> float:
    """One optimiser step on loss: backward (scaled under fp16 AMP), clip; returns the grad norm (nan: no clip)."""
    opt.zero_grad(set_to_none=True)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
    else:
        loss.backward()
    grad_norm = float(nn.utils.clip_grad_norm_(module.parameters(), grad_clip)) if grad_clip > 0 else math.nan
    if scaler is not None:
        scaler.step(opt)
    else:
        opt.step()
    return grad_norm


class CsvLog:
    """Append-only CSV of training metrics; on resume rows past the checkpoint step are dropped.

    A row with new keys (e.g. the discriminator's, once it starts) widens the header; earlier rows
    leave those columns empty.
    """

    def __init__(self, path: Path, resume_step: int) -> None:
        self.path = path
        self.fields: list[str] | None = None
        if path.is_file():
            with open(path, newline="") as fh:
                rows = [r for r in csv.DictReader(fh) if int(r["step"]) <= resume_step]
            if rows:
                self.fields = list(rows[0].keys())
            with open(path, "w", newline="") as fh:
                if self.fields:
                    w = csv.DictWriter(fh, self.fields)
                    w.writeheader()
                    w.writerows(rows)

    def write(self, row: dict[str, Any]) -> None:
        new = [k for k in row if k not in (self.fields or [])]
        if new:
            rows = []
            if self.fields is not None:
                with open(self.path, newline="") as fh:
                    rows = list(csv.DictReader(fh))
            self.fields = [*(self.fields or []), *new]
            with open(self.path, "w", newline="") as fh:
                w = csv.DictWriter(fh, self.fields)
                w.writeheader()
                w.writerows(rows)
        with open(self.path, "a", newline="") as fh:
            csv.DictWriter(fh, self.fields, extrasaction="ignore").writerow(row)


def _tensorboard(out_dir: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(str(out_dir / "tb"))


class _StopFlag:
    """SIGTERM / SIGINT ask the loop to checkpoint and stop after the current step."""

    def __init__(self) -> None:
        self.stop = False
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _StopFlag:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(ValueError):  # not the main thread: no handler, no graceful stop
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        logger.warning("signal %d: checkpointing and stopping after this step", signum)
        self.stop = True

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def rng_state() -> dict[str, Any]:
    """Global python / numpy / torch RNG states as plain lists and tensors (weights_only-loadable)."""
    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "python": [version, list(internal), gauss],
        "numpy": [kind, torch.from_numpy(np.asarray(keys, dtype=np.int64)), int(pos), int(has_gauss), float(cached)],
        "torch": torch.get_rng_state(),
    }


def set_rng_state(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])


def trainable_parameters(model: nn.Module, train_only: tuple[str, ...]) -> list[nn.Parameter]:
    """The parameters named by ``train_only`` prefixes (all when empty); the others are frozen."""
    if not train_only:
        return list(model.parameters())
    prefixes = tuple(train_only)
    chosen = []
    for name, param in model.named_parameters():
        param.requires_grad_(name.startswith(prefixes))
        if param.requires_grad:
            chosen.append(param)
    if not chosen:
        raise ValueError(f"optim.train_only {list(train_only)} names no parameter of {type(model).__name__}")
    logger.info(
        "training %d of %d parameters (%s)",
        sum(p.numel() for p in chosen),
        sum(p.numel() for p in model.parameters()),
        ", ".join(train_only),
    )
    return chosen


def train(
    config: TrainConfig,
    task: Task,
    out_dir: Path,
    resume: bool = True,
    stop_at: int | None = None,
    save_at_end: bool = True,
) -> dict[str, Any]:
    """Run (or resume) training until ``config.loop.steps`` (or ``stop_at``, for tests).

    ``save_at_end=False`` with ``stop_at`` imitates a kill: steps after the last
    periodic checkpoint are lost, as they would be.

    Returns a summary dict: steps done, last loss, seconds per step.
    """
    loop = config.loop
    dist = dist_info()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    device = torch.device(f"cuda:{dist.local_rank}" if torch.cuda.is_available() else "cpu")
    if device.type == "cpu":
        torch.set_num_threads(loop.num_threads)
    if dist.world_size > 1:
        import torch.distributed as tdist

        if not tdist.is_initialized():
            tdist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        if device.type == "cuda":
            torch.cuda.set_device(device)
    if loop.batch_size % dist.world_size:
        raise ValueError(f"batch_size {loop.batch_size} must be divisible by WORLD_SIZE {dist.world_size}")

    model = task.model.to(device)
    from exporters.diffusion import EMA

    ema = EMA(model, config.optim.ema_decay) if config.optim.ema_decay > 0 else None
    opt = torch.optim.AdamW(
        trainable_parameters(model, config.optim.train_only),
        lr=config.optim.lr,
        betas=tuple(config.optim.betas),
        weight_decay=config.optim.weight_decay,
    )
    disc: nn.Module | None = getattr(task, "discriminator", None)
    if disc is not None:
        disc = disc.to(device)
        d_optim: OptimConfig = task.disc_optim
        opt_d = torch.optim.AdamW(
            disc.parameters(), lr=d_optim.lr, betas=tuple(d_optim.betas), weight_decay=d_optim.weight_decay
        )
    step = 0
    ckpt_path = out_dir / CHECKPOINT
    if resume and ckpt_path.is_file():
        ckpt = load_checkpoint(ckpt_path)
        load_into(model, ckpt, task.role)
        ts = ckpt.train_state
        opt.load_state_dict(ts["optimizer"])
        if ema is not None:
            comp = ckpt.components[task.role]
            ema.load_state_dict({"decay": ts["ema_decay"], "num_updates": ts["ema_updates"], "model": comp.ema})
        step = ckpt.step
        set_rng_state(ts["rng"])
        if disc is not None:
            if "discriminator" not in ts:
                raise ValueError(
                    f"{ckpt_path} was trained without a discriminator; to add the GAN, start a new run "
                    "(another --out) with loop.init_from set to it"
                )
            disc.load_state_dict(ts["discriminator"])
            opt_d.load_state_dict(ts["disc_optimizer"])
        logger.info("resumed %s at step %d", ckpt_path, step)
    elif ckpt_path.is_file() and not resume:
        raise FileExistsError(f"{ckpt_path} exists; pass --resume to continue it or choose another --out")
    elif loop.init_from:  # fine-tuning: weights (EMA when present) of another run, fresh optimiser
        init = with_refiner_of(load_checkpoint(loop.init_from), spec_of(model), task.role)
        load_into(model, init, task.role, use_ema=True)
        if ema is not None:
            ema.model.load_state_dict(model.state_dict())
        logger.info("initialised from %s (step %d)", loop.init_from, init.step)
    if dist.is_main:
        (out_dir / "config.json").write_text(json.dumps(config_to_dict(config), indent=2))
    train_model: nn.Module = model
    train_disc = disc
    if dist.world_size > 1:
        device_ids = [device.index] if device.type == "cuda" else None
        train_model = nn.parallel.DistributedDataParallel(model, device_ids=device_ids)
        if disc is not None:
            train_disc = nn.parallel.DistributedDataParallel(disc, device_ids=device_ids)
    use_amp = loop.amp and device.type == "cuda"
    amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda") if use_amp and amp_dtype is torch.float16 else None
    autocast = functools.partial(torch.autocast, device.type, dtype=amp_dtype, enabled=use_amp)

    order = DataOrder(task.num_items(), loop.seed)
    log = CsvLog(out_dir / "log.csv", step) if dist.is_main else None
    tb = _tensorboard(out_dir) if dist.is_main else None
    end = min(loop.steps, stop_at) if stop_at is not None else loop.steps
    per_rank = loop.batch_size // dist.world_size
    last_ckpt_time = time.monotonic()
    t_start = time.monotonic()
    window: list[float] = []
    diag_log: CsvLog | None = None
    loss_value = math.nan

    saved_step = -1

    def save(reason: str) -> None:
        nonlocal saved_step
        if not dist.is_main or saved_step == step:
            return
        saved_step = step
        fields = task.checkpoint_fields()
        train_state = {
            "optimizer": opt.state_dict(),
            "rng": rng_state(),
            "ema_decay": ema.decay if ema is not None else 0.0,
            "ema_updates": ema.num_updates if ema is not None else 0,
            "train_config": config_to_dict(config),
        }
        if disc is not None:  # training-only: never a component, so never exported
            train_state["discriminator"] = {k: v.detach().cpu().clone() for k, v in disc.state_dict().items()}
            train_state["disc_optimizer"] = opt_d.state_dict()
        ckpt = make_checkpoint(
            {task.role: model},
            ema={task.role: ema} if ema is not None else None,
            step=step,
            train_state=train_state,
            **fields,
        )
        atomic_save(ckpt, ckpt_path)
        if loop.keep_checkpoints > 0:
            atomic_save(ckpt, out_dir / f"step_{step:07d}.pt")
            snaps = sorted(out_dir.glob("step_*.pt"))
            for old in snaps[: -loop.keep_checkpoints]:
                old.unlink()
        logger.info("checkpoint at step %d (%s) -> %s", step, reason, ckpt_path)

    with _StopFlag() as flag:
        model.train()
        while step < end:
            t0 = time.monotonic()
            positions = order.positions(step, loop.batch_size)[dist.rank * per_rank : (dist.rank + 1) * per_rank]
            idx = order.indices(positions)
            rngs = [np.random.default_rng([loop.seed, step, int(p)]) for p in positions]
            batch = {k: v.to(device) for k, v in task.make_batch(idx, rngs).items()}
            gen = torch.Generator(device=device).manual_seed(derive_seed(loop.seed, step, dist.rank))
            torch.manual_seed(derive_seed(loop.seed, step, dist.rank, 1))  # dropout inside the model
            lr = lr_at(step, config.optim)
            for group in opt.param_groups:
                group["lr"] = lr
            if disc is None:
                with autocast():
                    loss, metrics = task.loss(train_model, batch, gen)
            else:
                with autocast():
                    outputs = task.generate(train_model, batch, gen)
                gan = step >= task.disc_start_step
                d_metrics = {"d_loss": math.nan, "d_grad_norm": math.nan}
                if gan:
                    for group in opt_d.param_groups:
                        group["lr"] = lr_at(step, d_optim)
                    with autocast():
                        d_loss, d_parts = task.discriminator_loss(train_disc, outputs)
                    d_grad_norm = _update(d_loss, opt_d, disc, d_optim.grad_clip, scaler)
                    d_metrics = {"d_loss": float(d_loss.detach()), "d_grad_norm": d_grad_norm, **d_parts}
                with autocast():
                    loss, metrics = task.generator_loss(train_disc if gan else None, outputs)
                metrics = {**metrics, **d_metrics}
            grad_norm = _update(loss, opt, model, config.optim.grad_clip, scaler)
            if scaler is not None:
                scaler.update()
            if ema is not None:
                ema.update(model)
            step += 1
            loss_value = float(loss.detach())
            if not math.isfinite(loss_value):
                raise FloatingPointError(f"loss is {loss_value} at step {step}; lower optim.lr or check the data")
            window.append(time.monotonic() - t0)
            if log is not None and (step % loop.log_every == 0 or step == end):
                row = {
                    "step": step,
                    "loss": f"{loss_value:.6f}",
                    "lr": f"{lr:.3e}",
                    "grad_norm": f"{grad_norm:.4f}",
                    "sec_per_step": f"{np.mean(window):.4f}",
                    "wall_s": f"{time.monotonic() - t_start:.1f}",
                    **{k: f"{v:.6f}" for k, v in metrics.items()},
                }
                log.write(row)
                if tb is not None:
                    tb.add_scalar("loss", loss_value, step)
                    for k, v in metrics.items():
                        tb.add_scalar(k, v, step)
                logger.info("step %d loss %.4f (%.3f s/step)", step, loss_value, float(np.mean(window)))
                window = []
            if dist.is_main and loop.sample_every and step % loop.sample_every == 0:
                eval_model = ema.model if ema is not None else model
                if device.type != "cpu":  # diagnostics run the numpy samplers on CPU tensors
                    eval_model = copy.deepcopy(eval_model).cpu()
                diag = task.diagnostics(eval_model, step, out_dir / "samples")
                if diag:
                    logger.info("diagnostics at step %d: %s", step, diag)
                    diag_log = diag_log or CsvLog(out_dir / "diagnostics.csv", step)
                    diag_log.write({"step": step, **{k: f"{v:.6f}" for k, v in diag.items()}})
            by_steps = loop.checkpoint_every and step % loop.checkpoint_every == 0
            by_time = loop.checkpoint_minutes and time.monotonic() - last_ckpt_time > 60 * loop.checkpoint_minutes
            if by_steps or by_time or flag.stop:
                save("signal" if flag.stop else "periodic")
                last_ckpt_time = time.monotonic()
            if flag.stop:
                break
    if step >= end and not flag.stop and save_at_end:
        save("end")
    if tb is not None:
        tb.close()
    return {"step": step, "loss": loss_value}


def iterate_checkpoints(out_dir: Path) -> Iterator[Path]:
    yield from sorted(Path(out_dir).glob("step_*.pt"))
