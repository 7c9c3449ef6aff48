"""Recipe: everything needed to regenerate one file bit-identically.

A recipe travels inside every WAV we write (iXML ``<SFXGEN><RECIPE>`` as JSON, see
:mod:`sfxgen.wavfile`), in manifests and in OSC replies. ``to_json`` is canonical (sorted
keys, no spaces, ASCII), so equal recipes give equal bytes, and ``from_json`` rejects unknown
keys and wrong types instead of silently half-reading a recipe from a newer sfxgen.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

RECIPE_VERSION = 1


class RecipeError(ValueError):
    """A recipe JSON is malformed, has unknown keys, or fields of the wrong type."""


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Everything needed to regenerate one file bit-identically."""

    prompt: str  # text prompt ("" for a pure image query)
    blend_prompt: str  # second prompt of a blend ("" if none)
    blend: float  # weight of blend_prompt in [0, 1]
    image_sha256: str | None  # sha256 of the query image bytes (None for text queries)
    image_path: str | None  # where the image was at generation time (informative only)
    query_mode: str  # resolved QueryMode value: "text" | "prior" | "image"
    seed: int  # the seed of this file
    batch_seeds: tuple[int, ...]  # seeds generated in the same batch (batch shape matters for bit-identity)
    duration: float  # requested seconds
    guidance: float  # CFG w
    steps: int  # sampler steps
    sampler: str  # "ddpm" | "ddim" | "dpmpp_2m"
    bundle_id: str  # Bundle.bundle_id
    bundle_sha256: str  # Bundle.manifest_sha256 (sha256 of bundle.json, which pins every graph's sha256)
    finish: dict[str, Any]  # FinishSpec as a dict (sfxgen.finishing.FinishSpec.to_dict)
    sfxgen_version: str  # sfxgen.__version__ that wrote the file
    strength: float = 1.0  # SDEdit strength: 1 = from pure noise, else from init audio or a library recording
    init_sha256: str | None = None  # sha256 of the user's init audio file (None: none)
    init_path: str | None = None  # where that file was at generation time (informative only)
    source_clip: str | None = None  # the bundle library recording this file was seeded from (None: none)
    source_licence: str | None = None  # that recording's licence (informative; the library is the reference)
    phase_init: str = "random"  # Griffin-Lim's start: "pghi" (sfxgen.pghi), or "random" as in files written before it
    channels: int = 1  # 2: a stereo pair, the second channel drawn from the seed's second stream (sfxgen.pipeline)
    start_extension: str = "cut"  # a library recording shorter than the sound: "crossfade" (repeated with a seam,
    #                                 recordings cut from longer takes too) or "cut" (files made before it)
    recipe_version: int = RECIPE_VERSION  # schema of this dataclass

    def __post_init__(self) -> None:
        _check_types(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples as lists)."""
        out = dataclasses.asdict(self)
        out["batch_seeds"] = list(self.batch_seeds)
        for name, default in _OMIT_AT_DEFAULT.items():  # files from noise read as before (and by older sfxgen)
            if out[name] == default:
                del out[name]
        return out

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, compact separators, ASCII only (safe inside XML/bext)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recipe:
        """Build a recipe from a dict; raise :class:`RecipeError` on unknown or missing keys."""
        if not isinstance(data, dict):
            raise RecipeError(f"recipe: expected a JSON object, got {type(data).__name__}")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise RecipeError(f"recipe: unknown key(s) {unknown}; this sfxgen reads {sorted(fields)} (upgrade sfxgen?)")
        required = [n for n, f in fields.items() if f.default is dataclasses.MISSING]
        missing = sorted(set(required) - set(data))
        if missing:
            raise RecipeError(f"recipe: missing key(s) {missing}")
        version = data.get("recipe_version", RECIPE_VERSION)
        if version != RECIPE_VERSION:
            raise RecipeError(
                f"recipe: recipe_version {version!r} is not supported (this sfxgen reads {RECIPE_VERSION})"
            )
        kwargs = dict(data)
        if isinstance(kwargs.get("batch_seeds"), list):
            kwargs["batch_seeds"] = tuple(kwargs["batch_seeds"])
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            raise RecipeError(f"recipe: {exc}") from exc

    @classmethod
    def from_json(cls, s: str | bytes) -> Recipe:
        """Inverse of :meth:`to_json`; raise :class:`RecipeError` naming the problem."""
        try:
            data = json.loads(s)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RecipeError(f"recipe: not valid JSON ({exc})") from exc
        return cls.from_dict(data)


_OMIT_AT_DEFAULT: dict[str, Any] = {
    "strength": 1.0,
    "init_sha256": None,
    "init_path": None,
    "source_clip": None,
    "source_licence": None,
    "phase_init": "random",
    "channels": 1,
    "start_extension": "cut",
}
START_EXTENSIONS = ("crossfade", "cut")
PHASE_INITS = ("pghi", "random")  # sfxgen.pghi.PhaseInit's values


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return (isinstance(v, int | float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_types(r: Recipe) -> None:
    """Validate field types so a corrupt recipe fails here, not in the engine."""
    for name in ("prompt", "blend_prompt", "query_mode", "sampler", "bundle_id", "bundle_sha256", "sfxgen_version"):
        if not isinstance(getattr(r, name), str):
            raise RecipeError(f"recipe.{name}: expected a string, got {getattr(r, name)!r}")
    for name in ("image_sha256", "image_path", "init_sha256", "init_path", "source_clip", "source_licence"):
        v = getattr(r, name)
        if v is not None and not isinstance(v, str):
            raise RecipeError(f"recipe.{name}: expected a string or null, got {v!r}")
    for name in ("blend", "duration", "guidance", "strength"):
        if not _is_num(getattr(r, name)):
            raise RecipeError(f"recipe.{name}: expected a finite number, got {getattr(r, name)!r}")
    for name in ("seed", "steps", "recipe_version", "channels"):
        if not _is_int(getattr(r, name)):
            raise RecipeError(f"recipe.{name}: expected an integer, got {getattr(r, name)!r}")
    if not isinstance(r.batch_seeds, tuple) or not all(_is_int(s) for s in r.batch_seeds):
        raise RecipeError(f"recipe.batch_seeds: expected a list of integers, got {r.batch_seeds!r}")
    if r.batch_seeds and r.seed not in r.batch_seeds:
        raise RecipeError(f"recipe: seed {r.seed} is not among batch_seeds {list(r.batch_seeds)}")
    if not 0.0 < r.strength <= 1.0:
        raise RecipeError(f"recipe.strength: expected a number in (0, 1], got {r.strength!r}")
    if r.start_extension not in START_EXTENSIONS:
        raise RecipeError(
            f"recipe.start_extension: expected one of {list(START_EXTENSIONS)}, got {r.start_extension!r}"
        )
    if r.channels not in (1, 2):
        raise RecipeError(f"recipe.channels: expected 1 or 2, got {r.channels!r}")
    if r.phase_init not in PHASE_INITS:
        raise RecipeError(f"recipe.phase_init: expected one of {list(PHASE_INITS)}, got {r.phase_init!r}")
    if not isinstance(r.finish, dict):
        raise RecipeError(f"recipe.finish: expected an object, got {r.finish!r}")
