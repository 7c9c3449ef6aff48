"""Typed, frozen configs of the torch components and the ``{"type", "config"}`` factory.

Every trainable component is described by a spec ``{"type": NAME, "config": {...}}``
(stable-audio-tools style). :func:`build` dispatches on ``type`` and fails loudly on
an unknown type or unknown config keys; the spec is stored in every checkpoint and
in every exported graph's ``config`` entry of ``bundle.json``.

This module imports no torch at module level (the CLI reads specs without it).
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

from sfxgen.configs import ConfigError, Prediction, ScheduleConfig, from_dict, to_dict

REFINER_GROUPS = 8  # GroupNorm groups of the denoiser's 2-D refiner


@dataclasses.dataclass(frozen=True)
class Denoiser1DConfig:
    """1-D conv UNet over time, mel bins as channels (the CPU-trainable default)."""

    n_mels: int = 80  # M: input/output channels
    cond_dim: int = 384  # E: query embedding size (384 MiniLM, 768 CLIP ViT-L/14)
    cond_scale: float = 1.0  # condition multiplier before its MLP; sqrt(cond_dim) for unit-norm embeddings
    channels: int = 96  # base width C of the first level (96: ~0.33 s per CPU training step, see tests)
    channel_mults: tuple[int, ...] = (1, 2, 2)  # width multiplier per level; T halves between levels
    num_res_blocks: int = 2  # residual blocks per level (down path; up path has one more)
    kernel_size: int = 3  # temporal kernel of the residual convs (odd)
    time_embed_mult: int = 4  # embedding width = channels * time_embed_mult
    attention: bool = True  # self-attention in the middle block (lowest resolution)
    num_heads: int = 4  # heads of that attention
    norm_groups: int = 32  # GroupNorm groups (must divide every level's width)
    dropout: float = 0.0  # dropout inside residual blocks
    # 2-D convolutions over (mel, time) on the UNet's output: weights shared across frequency, which mel bins as
    # channels lack (harmonic stacks, metal partials). 0 = none; a warm start adds one as an identity.
    refiner_channels: int = 0
    refiner_blocks: int = 2  # residual blocks of the refiner

    def __post_init__(self) -> None:
        if self.kernel_size % 2 != 1:
            raise ValueError("kernel_size must be odd")
        if self.refiner_channels < 0 or self.refiner_channels % REFINER_GROUPS:
            raise ValueError(f"refiner_channels must be 0 or a positive multiple of {REFINER_GROUPS}")
        if not self.channel_mults:
            raise ValueError("channel_mults must not be empty")
        for m in self.channel_mults:
            if (self.channels * m) % self.norm_groups:
                raise ValueError(f"norm_groups {self.norm_groups} must divide every level width {self.channels * m}")

    @property
    def frames_multiple(self) -> int:
        """Frame counts T must be a multiple of this (T halves between levels)."""
        return 2 ** (len(self.channel_mults) - 1)


@dataclasses.dataclass(frozen=True)
class UNet2DConfig:
    """improved-diffusion style 2-D UNet over the (mel, time) plane."""

    n_mels: int = 64  # M: height of the input plane (must be a multiple of frames_multiple)
    cond_dim: int = 384  # E: query embedding size
    cond_scale: float = 1.0  # condition multiplier before its MLP; sqrt(cond_dim) for unit-norm embeddings
    channels: int = 32  # base width
    channel_mults: tuple[int, ...] = (1, 2, 2, 4)  # per level; H and W halve between levels
    num_res_blocks: int = 2  # residual blocks per level
    attention_levels: tuple[int, ...] = (2, 3)  # level indices (0 = full res) with self-attention
    num_heads: int = 4  # attention heads
    time_embed_mult: int = 4  # embedding width = channels * time_embed_mult
    norm_groups: int = 8  # GroupNorm groups
    dropout: float = 0.0  # dropout inside residual blocks

    def __post_init__(self) -> None:
        if self.n_mels % self.frames_multiple:
            raise ValueError(f"n_mels {self.n_mels} must be a multiple of {self.frames_multiple}")

    @property
    def frames_multiple(self) -> int:
        return 2 ** (len(self.channel_mults) - 1)


@dataclasses.dataclass(frozen=True)
class PriorConfig:
    """CLIPSonic appendix-A diffusion prior: causal transformer predicting x0 (the image embedding)."""

    embed_dim: int = 768  # E: CLIP embedding size (text_embed, x_t, out)
    token_dim: int = 768  # W: width of the encoded text tokens
    max_tokens: int = 77  # L: maximum text tokens (learned positions cover L + 4)
    width: int = 768  # transformer width D
    depth: int = 12  # transformer layers (paper: 12)
    num_heads: int = 12  # attention heads
    mlp_ratio: float = 4.0  # feed-forward width / D
    dropout: float = 0.0  # attention / MLP dropout


@dataclasses.dataclass(frozen=True)
class VocosConfig:
    """Vocos-style vocoder: ConvNeXt 1-D backbone and an iSTFT head (mag + phase)."""

    n_mels: int = 80  # M: input mel bands (natural-log mel, not normalised)
    n_fft: int = 1024  # STFT size of the head (must equal the bundle's MelConfig.n_fft)
    hop_length: int = 256  # hop of the head (must equal MelConfig.hop_length)
    win_length: int = 1024  # Hann window of the iSTFT (must equal MelConfig.win_length)
    dim: int = 256  # backbone width
    intermediate_dim: int = 768  # ConvNeXt MLP width
    num_layers: int = 8  # ConvNeXt blocks
    kernel_size: int = 7  # depthwise kernel
    max_log_mag: float = 4.6  # clamp of the predicted log magnitude (exp(4.6) ~ 100, as Vocos)

    def __post_init__(self) -> None:
        if self.win_length > self.n_fft:
            raise ValueError("win_length must be <= n_fft")


@dataclasses.dataclass(frozen=True)
class MagnitudePostNetConfig:
    """Mel -> linear-magnitude post-net (Tacotron's, on the Vocos backbone); Griffin-Lim adds the phase.

    The mel settings must equal the bundle's MelConfig: the net refines the filterbank pseudo-inverse.
    """

    n_mels: int = 80  # M: input mel bands (natural-log mel, not normalised)
    n_fft: int = 1024  # F = n_fft // 2 + 1 output bins
    hop_length: int = 256  # frame hop
    win_length: int = 1024  # STFT window
    sample_rate: int = 24000  # Hz, of the mel filterbank
    f_min: float = 0.0  # Hz, lowest mel filter edge
    f_max: float = 12000.0  # Hz, highest mel filter edge
    dim: int = 256  # backbone width
    intermediate_dim: int = 768  # ConvNeXt MLP width
    num_layers: int = 8  # ConvNeXt blocks
    kernel_size: int = 7  # depthwise kernel
    max_log_mag: float = 6.0  # clamp of the predicted log magnitude (exp(6) ~ 400: a full-scale sine bin is ~256)

    def __post_init__(self) -> None:
        if self.win_length > self.n_fft:
            raise ValueError("win_length must be <= n_fft")


@dataclasses.dataclass(frozen=True)
class MultiPeriodDiscriminatorConfig:
    """HiFi-GAN multi-period discriminator (MPD): the wave folded by each period, (k x 1) 2-D convs."""

    periods: tuple[int, ...] = (2, 3, 5, 7, 11)  # one sub-discriminator per period p (HiFi-GAN's primes)
    channels: tuple[int, ...] = (32, 128, 512, 1024, 1024)  # widths of the convs; all but the last stride
    kernel_size: int = 5  # k: temporal kernel of the (k x 1) convs (odd)
    stride: int = 3  # temporal stride of every conv but the last
    lrelu_slope: float = 0.1  # LeakyReLU slope after each conv

    def __post_init__(self) -> None:
        if not self.periods or min(self.periods) < 1:
            raise ValueError("periods must be >= 1 and not empty")
        if not self.channels:
            raise ValueError("channels must not be empty")
        if self.kernel_size % 2 != 1:
            raise ValueError("kernel_size must be odd")


@dataclasses.dataclass(frozen=True)
class MultiResolutionDiscriminatorConfig:
    """UnivNet / Vocos multi-resolution discriminator (MRD): 2-D convs over STFT magnitudes."""

    fft_sizes: tuple[int, ...] = (512, 1024, 2048)  # one sub-discriminator per n_fft (hop n_fft // 4, Hann n_fft)
    channels: int = 64  # width of every conv (Vocos: 64)
    lrelu_slope: float = 0.1  # LeakyReLU slope after each conv

    def __post_init__(self) -> None:
        if not self.fft_sizes or min(self.fft_sizes) < 16:
            raise ValueError("fft_sizes must be >= 16 and not empty")


@dataclasses.dataclass(frozen=True)
class DiffusionConfig:
    """How a diffusion model is trained and sampled (stored beside its spec in a checkpoint)."""

    schedule: ScheduleConfig = dataclasses.field(default_factory=ScheduleConfig)  # noise schedule (cosine, T = 1000)
    prediction: Prediction = Prediction.EPS  # network output: eps, v or x0
    cond_dropout: float = 0.1  # P(cond_mask := 0) in training, for classifier-free guidance
    ema_decay: float = 0.999  # EMA of the weights (the exported weights)


def diffusion_from_dict(data: dict[str, Any], where: str = "diffusion") -> DiffusionConfig:
    """DiffusionConfig from its JSON form (schedule nested)."""
    data = dict(data)
    if "schedule" in data:
        data["schedule"] = from_dict(ScheduleConfig, data["schedule"], f"{where}.schedule")
    return from_dict(DiffusionConfig, data, where)


def diffusion_to_dict(config: DiffusionConfig) -> dict[str, Any]:
    out = to_dict(config)
    out["schedule"] = to_dict(config.schedule)
    return out


# type name -> (config class, "module:Class" of the torch module); imported lazily by build().
REGISTRY: dict[str, tuple[type, str]] = {
    "denoiser_1d": (Denoiser1DConfig, "exporters.models.denoiser_1d:Denoiser1D"),
    "unet_2d": (UNet2DConfig, "exporters.models.unet_2d:UNet2D"),
    "prior": (PriorConfig, "exporters.models.prior:DiffusionPrior"),
    "vocos": (VocosConfig, "exporters.models.vocoder:Vocos"),
    "mag_postnet": (MagnitudePostNetConfig, "exporters.models.vocoder:MagnitudePostNet"),
    "mpd": (MultiPeriodDiscriminatorConfig, "exporters.models.discriminators:MultiPeriodDiscriminator"),
    "mrd": (MultiResolutionDiscriminatorConfig, "exporters.models.discriminators:MultiResolutionDiscriminator"),
}


def parse_spec(spec: dict[str, Any], where: str = "spec") -> tuple[str, Any]:
    """Validate a ``{"type", "config"}`` spec; return (type, frozen config)."""
    if not isinstance(spec, dict) or set(spec) - {"type", "config"} or "type" not in spec:
        raise ConfigError(f"{where}: expected {{'type': ..., 'config': {{...}}}}, got {spec!r}")
    kind = spec["type"]
    if kind not in REGISTRY:
        raise ConfigError(f"{where}: unknown type {kind!r}; known types are {sorted(REGISTRY)}")
    cls, _ = REGISTRY[kind]
    config = spec.get("config", {})
    if dataclasses.is_dataclass(config):
        if not isinstance(config, cls):
            raise ConfigError(f"{where}: type {kind!r} needs a {cls.__name__}, got {type(config).__name__}")
        return kind, config
    return kind, from_dict(cls, config, f"{where}.config")


def make_spec(kind: str, config: Any) -> dict[str, Any]:
    """The JSON-ready spec of a config (round-trips through :func:`parse_spec`)."""
    kind, config = parse_spec({"type": kind, "config": config})
    return {"type": kind, "config": to_dict(config)}


def build(spec: dict[str, Any], where: str = "spec") -> Any:
    """Build the torch module of a spec; fails loudly on an unknown type or key."""
    kind, config = parse_spec(spec, where)
    module_name, cls_name = REGISTRY[kind][1].split(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    return cls(config)


def spec_of(module: Any) -> dict[str, Any]:
    """The spec a module was built from (every registered module keeps its ``config``)."""
    path = f"{type(module).__module__}:{type(module).__name__}"
    for kind, (cls, target) in REGISTRY.items():
        if target == path and isinstance(getattr(module, "config", None), cls):
            return {"type": kind, "config": to_dict(module.config)}
    raise ConfigError(f"{type(module).__name__} is not a registered component; known: {sorted(REGISTRY)}")
