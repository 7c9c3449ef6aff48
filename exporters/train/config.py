"""Typed training configs, read from TOML recipes.

A training run is described by one :class:`TrainConfig`: what data, which
query encoder, which model (a ``{"type", "config"}`` dict handed to the model
factory of :mod:`exporters.configs`), which task (denoiser, vocoder, prior),
and the optimiser / loop settings. Unknown keys are rejected loudly, as
everywhere in sfxgen (:func:`sfxgen.configs.from_dict`).
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

from exporters.configs import parse_spec
from sfxgen.configs import ConfigError, MelConfig, ScheduleConfig, from_dict, to_dict
from sfxgen.pghi import PhaseInit

RECIPES_DIR = Path(__file__).parent / "recipes"


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Where the clips come from (see :mod:`exporters.train.data`)."""

    kind: str = "corpus"  # "corpus" (manifest.jsonl) | "audio_folder" | "video_folder" | "image_audio"
    path: str = ""  # corpus dir / manifest file / folder; relative paths resolve against the recipe's --data
    split: str = "train"  # manifest split used for training ("" = all clips)
    valid_split: str = "valid"  # manifest split used for diagnostics ("" = none)
    captions_csv: str = ""  # audio_folder: CSV with columns path,caption[,category] (relative to path)
    caption_rule: str = "stem"  # audio_folder without CSV: "stem" | "parent" | "parent_stem" (see data.py)
    frames_per_video: int = 8  # video_folder: frames sampled (uniformly at random, seeded) per video
    max_clip_seconds: float = 30.0  # longer clips are cut to this many seconds when cached
    min_peak: float = 1e-4  # clips whose peak |x| is below this are skipped as silent
    in_memory: bool = True  # hold cached arrays in RAM; false reads them from the cache per batch (huge sets)
    paraphrase_templates: tuple[str, ...] = (
        "the sound of {c}",
        "{c} sound effect",
        "a recording of {c}",
    )  # text tasks: extra captions per clip made from its category / captions ({c})
    category_captions: bool = True  # text tasks: a clip may draw any caption of its category


@dataclasses.dataclass(frozen=True)
class EncoderConfig:
    """The frozen query encoder whose embeddings condition the model (cached once)."""

    type: str = "minilm"  # "minilm" | "clip" | "hashed" (tiny deterministic bag-of-words, for tests)
    config: dict[str, Any] = dataclasses.field(default_factory=dict)  # passed to the encoder builder


@dataclasses.dataclass(frozen=True)
class OptimConfig:
    """AdamW + EMA + clipping (CLIPSonic: AdamW, lr 1e-4)."""

    lr: float = 1e-4  # peak learning rate
    betas: tuple[float, float] = (0.9, 0.999)  # AdamW betas
    weight_decay: float = 0.0  # AdamW decoupled weight decay
    warmup_steps: int = 200  # linear warm-up from 0 to lr
    grad_clip: float = 1.0  # max global grad norm (0 = off)
    ema_decay: float = 0.999  # EMA of the weights (0 = no EMA); warmed up as min(decay, (1+n)/(10+n))
    train_only: tuple[str, ...] = ()  # parameter-name prefixes to train, the rest frozen (e.g. ["refiner."]); () = all


@dataclasses.dataclass(frozen=True)
class LoopConfig:
    """Steps, batches, checkpoints and logging."""

    steps: int = 100_000  # total optimiser steps
    batch_size: int = 32  # global batch (split evenly over DDP ranks)
    seed: int = 0  # everything random derives from it (data order, crops, noise, dropout)
    log_every: int = 10  # CSV / TensorBoard row every N steps
    checkpoint_every: int = 1000  # checkpoint every N steps (0 = only by time and at the end)
    checkpoint_minutes: float = 5.0  # also checkpoint when this much wall time passed (0 = off)
    keep_checkpoints: int = 3  # numbered snapshots kept besides last.pt
    sample_every: int = 0  # write diagnostic WAVs every N steps (0 = off)
    num_threads: int = 1  # torch intra-op threads on CPU
    amp: bool = True  # mixed precision (bf16 autocast) on CUDA; ignored on CPU
    init_from: str = ""  # start a new run from this checkpoint's (EMA) weights, e.g. to fine-tune a model


@dataclasses.dataclass(frozen=True)
class AugmentConfig:
    """Waveform augmentation applied when clips are cached as variants and in the vocoder loader."""

    gain_db: float = 6.0  # uniform random gain in [-gain_db, +gain_db]
    resample_semitones: float = 1.0  # mild pitch+time change by resampling, +- semitones (0 = off)
    resample_prob: float = 0.5  # probability a clip is resampled


@dataclasses.dataclass(frozen=True)
class DenoiserTaskConfig:
    """Diffusion denoiser on (mel crop, query embedding) pairs."""

    condition: str = "text"  # "text" (CLIP-TTA / CLIPSynth-Text), "image" (CLIPSonic), "hybrid" (both)
    crop_frames: int = 128  # random crop length T in mel frames; shorter clips are padded with silence
    cfg_dropout: float = 0.1  # probability the condition is replaced by the learned null (CFG)
    prediction: str = "v"  # "eps" | "v" | "x0"
    hybrid_text_prob: float = 0.5  # hybrid: probability a sample is conditioned on text instead of image
    augment_variants: int = 0  # extra augmented copies of each clip cached (gain/resample); 0 = none
    sample_vocoder: str = ""  # vocoder checkpoint for listening samples (read afresh each time); "" = Griffin-Lim
    min_items_per_category: int = 0  # oversample: each epoch repeats a rarer category's items up to this many; 0 = off
    head_crop_prob: float = (
        0.0  # probability a text crop starts at the clip's first frame (one-shots keep their attack)
    )


MAGNITUDE_TARGETS = ("stft", "griffin_lim")
GL_PHASE_INITS = tuple(p.value for p in PhaseInit)


@dataclasses.dataclass(frozen=True)
class VocoderTaskConfig:
    """Mel -> waveform vocoder trained on random segments, optionally against discriminators (GAN)."""

    segment_samples: int = 8192  # random waveform segment per item
    fft_sizes: tuple[int, ...] = (512, 1024, 2048)  # multi-resolution STFT loss sizes
    mel_weight: float = 45.0  # weight of the log-mel L1 term (HiFi-GAN's 45)
    stft_weight: float = 1.0  # weight of the multi-resolution STFT term
    adversarial: bool = False  # train against the MPD + MRD discriminators (Vocos / HiFi-GAN); false: no GAN
    disc_start_step: int = 0  # steps on the reconstruction losses alone before the GAN starts (Vocos: 0)
    adv_weight: float = 1.0  # weight of the hinge generator loss
    fm_weight: float = 1.0  # weight of the feature-matching loss
    mrd_weight: float = 0.1  # MRD terms relative to the MPD's, in the D and G losses (Vocos' mrd_loss_coeff)
    disc_lr: float = 2e-4  # discriminators' AdamW lr (warm-up, weight decay and clipping as in [optim])
    disc_betas: tuple[float, float] = (0.8, 0.99)  # discriminators' AdamW betas (HiFi-GAN)
    mpd: dict[str, Any] = dataclasses.field(default_factory=dict)  # MultiPeriodDiscriminatorConfig fields
    mrd: dict[str, Any] = dataclasses.field(default_factory=dict)  # MultiResolutionDiscriminatorConfig fields
    # magnitude models (mag_postnet) only: "stft" regresses the true STFT magnitude; "griffin_lim" runs the
    # runtime's fast Griffin-Lim (differentiably, gl_iters iterations) on the prediction and scores the wave
    magnitude_target: str = "stft"
    gl_iters: int = 32  # Griffin-Lim iterations run in training (the runtime runs sfxgen.vocoder.GL_ITERS)
    gl_grad_iters: int = 0  # of those, the last ones that carry gradient (0: the final synthesis only; see griffin_lim)
    gl_phase_init: str = "random"  # where they start: "random" (fresh each step) or "pghi" (the runtime's default)

    def __post_init__(self) -> None:
        if self.magnitude_target not in MAGNITUDE_TARGETS:
            raise ValueError(
                f"vocoder.magnitude_target must be one of {MAGNITUDE_TARGETS}, not {self.magnitude_target!r}"
            )
        if self.gl_phase_init not in GL_PHASE_INITS:
            raise ValueError(f"vocoder.gl_phase_init must be one of {GL_PHASE_INITS}, not {self.gl_phase_init!r}")
        if self.gl_iters < 1 or not 0 <= self.gl_grad_iters <= self.gl_iters:
            raise ValueError("vocoder.gl_iters must be >= 1 and 0 <= vocoder.gl_grad_iters <= gl_iters")
        for name in ("mpd", "mrd"):  # unknown keys and bad values fail when the recipe is read
            parse_spec({"type": name, "config": getattr(self, name)}, f"vocoder.{name}")
        if self.disc_start_step < 0:
            raise ValueError("disc_start_step must be >= 0")


@dataclasses.dataclass(frozen=True)
class PriorTaskConfig:
    """Diffusion prior text embedding -> image embedding (CLIPSonic-SD), x0 prediction."""

    cfg_dropout: float = 0.1  # probability the text condition is dropped
    prediction: str = "x0"  # the DALL-E 2 prior predicts x0


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything one training run needs; saved next to its checkpoints."""

    task: str  # "denoiser" | "vocoder" | "prior"
    model: dict[str, Any]  # {"type": ..., "config": {...}} for exporters.configs.build_model
    data: DataConfig = DataConfig()
    encoder: EncoderConfig = EncoderConfig()
    mel: MelConfig = MelConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    optim: OptimConfig = OptimConfig()
    loop: LoopConfig = LoopConfig()
    augment: AugmentConfig = AugmentConfig()
    denoiser: DenoiserTaskConfig = DenoiserTaskConfig()
    vocoder: VocoderTaskConfig = VocoderTaskConfig()
    prior: PriorTaskConfig = PriorTaskConfig()
    cache_dir: str = ""  # where mels/embeddings are cached ("" = <run dir>/cache)

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


_SECTIONS: dict[str, type] = {
    "data": DataConfig,
    "encoder": EncoderConfig,
    "mel": MelConfig,
    "schedule": ScheduleConfig,
    "optim": OptimConfig,
    "loop": LoopConfig,
    "augment": AugmentConfig,
    "denoiser": DenoiserTaskConfig,
    "vocoder": VocoderTaskConfig,
    "prior": PriorTaskConfig,
}
TASKS = ("denoiser", "vocoder", "prior")


def config_from_dict(data: dict[str, Any], where: str = "train config") -> TrainConfig:
    """Build a :class:`TrainConfig` from a parsed TOML/JSON dict; unknown keys are errors."""
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; known keys are {sorted(known)}")
    if data.get("task") not in TASKS:
        raise ConfigError(f"{where}: task must be one of {list(TASKS)}, got {data.get('task')!r}")
    model = data.get("model")
    if not isinstance(model, dict) or "type" not in model:
        raise ConfigError(f'{where}: [model] needs type = "..." and an optional [model.config] table')
    kwargs: dict[str, Any] = {"task": data["task"], "model": dict(model)}
    for name, cls in _SECTIONS.items():
        if name in data:
            kwargs[name] = from_dict(cls, data[name], f"{where}: [{name}]")
    if "cache_dir" in data:
        kwargs["cache_dir"] = str(data["cache_dir"])
    return TrainConfig(**kwargs)


def config_to_dict(config: TrainConfig) -> dict[str, Any]:
    """JSON-ready dict of a config (inverse of :func:`config_from_dict`)."""
    out: dict[str, Any] = {"task": config.task, "model": config.model, "cache_dir": config.cache_dir}
    for name in _SECTIONS:
        out[name] = to_dict(getattr(config, name))
    return out


def load_config(path: str | Path) -> TrainConfig:
    """Read a TOML recipe file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such training config; recipes live in {RECIPES_DIR}")
    with open(path, "rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML ({exc})") from exc
    return config_from_dict(data, str(path))


def recipe_path(name: str) -> Path:
    """Path of a named recipe shipped in exporters/train/recipes (e.g. "default_denoiser")."""
    path = RECIPES_DIR / f"{name.removesuffix('.toml')}.toml"
    if not path.is_file():
        names = sorted(p.stem for p in RECIPES_DIR.glob("*.toml"))
        raise ConfigError(f"unknown recipe {name!r}; available: {names}")
    return path
