"""Typed, frozen configs shared by the runtime and the training side.

Every config is a frozen dataclass with a comment per field. ``from_dict``
rejects unknown keys so a bundle or checkpoint written by a newer version is
refused loudly instead of silently half-read.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """A config dict does not match the dataclass it is read into."""


def from_dict(cls: type[T], data: dict[str, Any], where: str = "") -> T:
    """Build a frozen config dataclass from a dict, rejecting unknown keys.

    Args:
        cls: the dataclass type.
        data: plain dict (e.g. parsed JSON); missing keys take the defaults.
        where: a path shown in error messages, e.g. ``"bundle.json: mel"``.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{where or cls.__name__}: expected an object, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where or cls.__name__}: unknown key(s) {unknown}; known keys are {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        enum_cls = _enum_of(hints[name])
        if enum_cls is not None and value is not None:
            try:
                value = enum_cls(value)
            except ValueError:
                choices = [e.value for e in enum_cls]
                raise ConfigError(f"{where}.{name}: {value!r} is not one of {choices}") from None
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where or cls.__name__}: {exc}") from exc


def _enum_of(hint: Any) -> type[enum.Enum] | None:
    """The Enum class of a type hint ``E`` or ``E | None``, else None."""
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    for arg in typing.get_args(hint):
        if isinstance(arg, type) and issubclass(arg, enum.Enum):
            return arg
    return None


def to_dict(config: Any) -> dict[str, Any]:
    """Inverse of :func:`from_dict`: JSON-ready dict (enums as values, tuples as lists)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


class Prediction(str, enum.Enum):
    """What the denoiser network outputs."""

    EPS = "eps"  # the added noise eps (Ho et al. 2020)
    V = "v"  # v = sqrt(abar) * eps - sqrt(1 - abar) * x0 (Salimans & Ho 2022)
    X0 = "x0"  # the clean sample (the CLIPSonic diffusion prior predicts x0)


class ScheduleKind(str, enum.Enum):
    COSINE = "cosine"  # Nichol & Dhariwal 2021, eq. 17
    LINEAR = "linear"  # Ho et al. 2020, betas 1e-4 .. 0.02


@dataclasses.dataclass(frozen=True)
class ScheduleConfig:
    """Discrete-time diffusion noise schedule."""

    kind: ScheduleKind = ScheduleKind.COSINE  # beta schedule
    num_train_steps: int = 1000  # T: number of discrete training timesteps
    cosine_s: float = 0.008  # offset s of the cosine schedule
    max_beta: float = 0.999  # clip on beta_t (cosine schedule)

    def __post_init__(self) -> None:
        if self.num_train_steps < 2:
            raise ValueError("num_train_steps must be >= 2")


@dataclasses.dataclass(frozen=True)
class MelConfig:
    """Log-mel spectrogram front end; identical in training and at run time."""

    sample_rate: int = 24000  # Hz of the model's waveform domain
    n_fft: int = 1024  # STFT size in samples
    hop_length: int = 256  # STFT hop in samples (frames per second = sr / hop)
    win_length: int = 1024  # Hann window length in samples
    n_mels: int = 80  # mel bands (slaney scale and norm, as librosa's default)
    f_min: float = 0.0  # lowest mel band edge, Hz
    f_max: float = 12000.0  # highest mel band edge, Hz
    log_floor: float = 1e-5  # log(max(mel, floor)) floor of the magnitude mel
    norm_mean: float = -5.0  # diffusion space: x = (log_mel - norm_mean) / norm_std
    norm_std: float = 2.5  # see norm_mean

    def __post_init__(self) -> None:
        if self.win_length > self.n_fft:
            raise ValueError("win_length must be <= n_fft")
        if not 0 <= self.f_min < self.f_max <= self.sample_rate / 2:
            raise ValueError("need 0 <= f_min < f_max <= sample_rate / 2")

    @property
    def frames_per_second(self) -> float:
        return self.sample_rate / self.hop_length
