"""OSC argument checking: types and ranges -> typed values, or an :class:`OscArgError` that says what to fix.

Also the file-name sanitiser: whatever a client sends (``../``, absolute
paths, NUL and control characters, Windows device names, 10 kB of text),
:func:`safe_stem` returns one path component made of letters, digits, ``_``
and ``-`` only, so ``out_dir / (stem + ".wav")`` can never leave ``out_dir``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sfxgen.finishing import FinishSpec
from sfxgen.init_audio import init_duration
from sfxgen.loops import MAX_LOOP_CROSSFADE_MS
from sfxgen.osc import addresses as A
from sfxgen.request import (
    MAX_DURATION,
    MAX_GUIDANCE,
    MAX_PROMPT_CHARS,
    MAX_STEPS,
    MAX_VARIATIONS,
    MIN_DURATION,
)

MAX_SEED = 2**63 - 1  # the largest seed an OSC int64 can carry
SAMPLERS = ("ddpm", "ddim", "dpmpp_2m")
OPTIONS = (  # key value pairs after the numbers
    *("steps", "sampler", "blend_prompt", "blend", "name", "reply_file", "strength", "init", "loop"),
    *("sample_rate", "bit_depth", "lufs", "channels"),
)
SAMPLE_RATES = (48000, 44100)
BIT_DEPTHS = {"16": "pcm16", "24": "pcm24", "32f": "float32"}  # as `sfxgen generate --bit-depth`
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}
_ALLOWED_CONTROL = {"\t", "\n", "\r"}


class OscArgError(ValueError):
    """Arguments of one OSC message are wrong; ``req_id`` is the id if it could be read, else ``""``."""

    def __init__(self, message: str, req_id: str | int = "") -> None:
        super().__init__(message)
        self.req_id = req_id


@dataclasses.dataclass(frozen=True)
class GenerateArgs:
    """A checked ``/sfxgen/generate`` or ``/sfxgen/generate_image`` message."""

    req_id: str | int  # echoed in every reply
    prompt: str  # text prompt ("" allowed for an image query)
    image: Path | None  # image query path (generate_image only)
    duration: float  # seconds
    variations: int  # files to make
    seed: int | None  # None -> the router picks one (so file names are known up front)
    guidance: float | None  # None -> bundle default
    steps: int | None = None  # None -> bundle default
    sampler: str | None = None  # None -> bundle default
    blend_prompt: str = ""  # optional second prompt
    blend: float = 0.0  # its weight in [0, 1]
    name: str = ""  # file-name base instead of the prompt
    reply_file: bool = False  # also write <out>/replies/<file_id>.json
    init: Path | None = None  # a sound to make variations of (absolute path on the bridge's machine)
    strength: float | None = None  # (0, 1]: how much of the start sound to redraw; None -> the pipeline's default
    loop: float = 0.0  # > 0: seamless loops, tail crossfaded into head over this many ms (sfxgen.finishing)
    sample_rate: int = 48000  # of the files written
    bit_depth: str = "pcm24"  # sfxgen.finishing.BitDepth value
    lufs: float | None = None  # integrated loudness target; None: peak-normalised to -1 dBFS
    channels: int = 1  # 2: stereo files (two decorrelated draws of each variation)

    def finish(self) -> FinishSpec:
        """How the files are finished (format, level, loop)."""
        return FinishSpec(
            sample_rate=self.sample_rate, bit_depth=self.bit_depth, loudness_lufs=self.lufs, loop_crossfade_ms=self.loop
        )


def describe(v: Any) -> str:
    """Short type + value text for error messages (never dumps a 10 kB blob)."""
    text = repr(v)
    if len(text) > 40:
        text = text[:37] + "..."
    kind = {bool: "bool", int: "int", float: "float", str: "string", bytes: "blob"}.get(type(v), type(v).__name__)
    return f"{kind} {text}"


def req_id_of(args: Sequence[Any]) -> str | int:
    """The request id (first argument): a non-empty string or an int."""
    if not args:
        raise OscArgError("missing <req_id> (first argument): send a string or an int that names this request")
    v = args[0]
    if isinstance(v, bool) or not isinstance(v, str | int):
        raise OscArgError(f"<req_id> must be a string or an int, got {describe(v)}")
    if isinstance(v, str):
        if not v:
            raise OscArgError("<req_id> must not be empty")
        if len(v) > A.MAX_REQ_ID_CHARS:
            raise OscArgError(f"<req_id> is {len(v)} characters; at most {A.MAX_REQ_ID_CHARS}")
    return v


def number(v: Any, name: str, lo: float, hi: float, req_id: str | int = "") -> float:
    """A finite int or float in [lo, hi]."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise OscArgError(f"{name} must be a number, got {describe(v)}", req_id)
    if not math.isfinite(v) or not lo <= v <= hi:
        raise OscArgError(f"{name} must be in {lo:g} .. {hi:g}, got {v!r}", req_id)
    return float(v)


def integer(v: Any, name: str, lo: int, hi: int, req_id: str | int = "") -> int:
    """An int (or a float with an integral value, as Max sends) in [lo, hi]."""
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise OscArgError(f"{name} must be an integer, got {describe(v)}", req_id)
    if not lo <= v <= hi:
        raise OscArgError(f"{name} must be in {lo} .. {hi}, got {v}", req_id)
    return v


def text(v: Any, name: str, req_id: str | int = "", *, max_chars: int = MAX_PROMPT_CHARS) -> str:
    """A string without NUL or other control characters (tab/newline allowed), at most ``max_chars``."""
    if not isinstance(v, str):
        raise OscArgError(f"{name} must be a string, got {describe(v)}", req_id)
    if len(v) > max_chars:
        raise OscArgError(f"{name} is {len(v)} characters; at most {max_chars}", req_id)
    bad = [c for c in v if unicodedata.category(c) == "Cc" and c not in _ALLOWED_CONTROL]
    if bad:
        raise OscArgError(f"{name} contains control characters ({bad[0]!r}); remove them", req_id)
    return v


def existing_file(raw: str, name: str, req_id: str | int = "") -> Path:
    """An absolute path (``~`` expanded) to an existing file on the bridge's machine."""
    path = Path(raw).expanduser()
    if not path.is_absolute():
        raise OscArgError(f"{name} must be an absolute path, got {raw!r}", req_id)
    if not path.is_file():
        raise OscArgError(f"{name} {raw!r} is not a readable file", req_id)
    return path


def strength(v: Any, name: str, req_id: str | int = "") -> float:
    """A finite number in (0, 1] (1 = generate from pure noise)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise OscArgError(f"{name} must be a number, got {describe(v)}", req_id)
    if not math.isfinite(v) or not 0.0 < v <= 1.0:
        raise OscArgError(f"{name} must be in (0, 1] (1 = from pure noise), got {v!r}", req_id)
    return float(v)


def parse_generate(args: Sequence[Any], *, image: bool) -> GenerateArgs:
    """Check ``<req_id> <prompt|image_path> [duration] [variations] [seed] [guidance] [key value ...]``.

    With an ``init`` option and no [duration], the duration is the init sound's length.
    """
    req_id = req_id_of(args)
    what = "<image_path>" if image else "<prompt>"
    if len(args) < 2:
        raise OscArgError(f"missing {what} (second argument)", req_id)
    first = text(args[1], what, req_id)
    if not first.strip():
        raise OscArgError(f"{what} is empty", req_id)
    image_path = None
    prompt = first
    if image:
        image_path = existing_file(first, "<image_path>", req_id)
        prompt = ""
    # Positional numbers until the first string.
    rest = list(args[2:])
    positional = []
    while rest and not isinstance(rest[0], str) and len(positional) < 4:
        positional.append(rest.pop(0))
    duration = A.DEFAULT_DURATION
    variations = A.DEFAULT_VARIATIONS
    seed: int | None = None
    guidance: float | None = None
    if len(positional) > 0:
        duration = number(positional[0], "[duration] (3rd argument, seconds)", MIN_DURATION, MAX_DURATION, req_id)
    if len(positional) > 1:
        variations = integer(positional[1], "[variations] (4th argument)", 1, MAX_VARIATIONS, req_id)
    if len(positional) > 2:
        s = integer(positional[2], "[seed] (5th argument, -1 = random)", -1, MAX_SEED, req_id)
        seed = None if s == -1 else s
    if len(positional) > 3:
        g = positional[3]
        if isinstance(g, int | float) and not isinstance(g, bool) and math.isfinite(g) and g < 0:
            guidance = None  # negative = the bundle default
        else:
            guidance = number(g, "[guidance] (6th argument, negative = default)", 0.0, MAX_GUIDANCE, req_id)
    options = _parse_options(rest, req_id, image=image)
    if options.get("init") is not None and not positional:
        duration = _init_duration(options["init"])
    if image and options.get("prompt"):
        prompt = options.pop("prompt")
    options.pop("prompt", None)
    return GenerateArgs(
        req_id=req_id,
        prompt=prompt,
        image=image_path,
        duration=duration,
        variations=variations,
        seed=seed,
        guidance=guidance,
        **options,
    )


def _parse_options(rest: list[Any], req_id: str | int, *, image: bool) -> dict[str, Any]:
    """``key value`` pairs after the positional numbers."""
    if len(rest) % 2:
        raise OscArgError(
            f"options come in 'key value' pairs after the numbers; got {len(rest)} trailing arguments "
            f"({', '.join(describe(v) for v in rest[:3])})",
            req_id,
        )
    out: dict[str, Any] = {}
    for key, value in zip(rest[0::2], rest[1::2]):
        if not isinstance(key, str):
            raise OscArgError(f"option name must be a string, got {describe(key)}", req_id)
        if key in out:
            raise OscArgError(f"option {key!r} given twice", req_id)
        if key == "steps":
            out["steps"] = integer(value, "option steps", 1, MAX_STEPS, req_id)
        elif key == "sampler":
            s = text(value, "option sampler", req_id, max_chars=32)
            if s not in SAMPLERS:
                raise OscArgError(f"option sampler must be one of {', '.join(SAMPLERS)}, got {s!r}", req_id)
            out["sampler"] = s
        elif key == "blend_prompt":
            out["blend_prompt"] = text(value, "option blend_prompt", req_id)
        elif key == "blend":
            out["blend"] = number(value, "option blend", 0.0, 1.0, req_id)
        elif key == "name":
            out["name"] = text(value, "option name", req_id, max_chars=200)
        elif key == "reply_file":
            out["reply_file"] = bool(integer(value, "option reply_file (0 or 1)", 0, 1, req_id))
        elif key == "strength":
            out["strength"] = strength(value, "option strength", req_id)
        elif key == "loop":
            out["loop"] = number(value, "option loop (crossfade ms, 0 = no loop)", 0.0, MAX_LOOP_CROSSFADE_MS, req_id)
        elif key == "sample_rate":
            rate = integer(value, "option sample_rate", 0, 10**6, req_id)
            if rate not in SAMPLE_RATES:
                raise OscArgError(f"option sample_rate must be 48000 or 44100, got {rate}", req_id)
            out["sample_rate"] = rate
        elif key == "bit_depth":
            depth = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
            depth = text(depth, "option bit_depth", req_id, max_chars=8)
            if depth not in BIT_DEPTHS:
                raise OscArgError(f"option bit_depth must be 16, 24 or 32f, got {depth!r}", req_id)
            out["bit_depth"] = BIT_DEPTHS[depth]
        elif key == "channels":
            out["channels"] = integer(value, "option channels (1 mono, 2 stereo)", 1, 2, req_id)
        elif key == "lufs":
            out["lufs"] = number(value, "option lufs (integrated loudness target)", -70.0, 0.0, req_id)
        elif key == "init":
            out["init"] = existing_file(text(value, "option init", req_id, max_chars=4096), "option init", req_id)
        elif key == "prompt" and image:
            out["prompt"] = text(value, "option prompt", req_id)
        else:
            known = ", ".join(OPTIONS) + (", prompt" if image else "")
            raise OscArgError(f"unknown option {describe(key)}; known options: {known}", req_id)
    return out


def _init_duration(path: Path) -> float:
    """The init sound's length within the request limits (the default duration when it cannot be read:
    the engine then says what is wrong with the file)."""
    return init_duration(path, A.DEFAULT_DURATION)


def parse_cancel(args: Sequence[Any]) -> str | int:
    """``<req_id>``."""
    req_id = req_id_of(args)
    if len(args) > 1:
        raise OscArgError(f"/sfxgen/cancel takes only <req_id>, got {len(args)} arguments", req_id)
    return req_id


def parse_preset(args: Sequence[Any]) -> tuple[str | int, str, str | None]:
    """``<req_id> <pack> [sound]``."""
    req_id = req_id_of(args)
    if len(args) < 2:
        raise OscArgError("missing <pack> (second argument): a pack name or path", req_id)
    if len(args) > 3:
        raise OscArgError(f"/sfxgen/preset takes <req_id> <pack> [sound], got {len(args)} arguments", req_id)
    pack = text(args[1], "<pack>", req_id, max_chars=4096)
    if not pack.strip():
        raise OscArgError("<pack> is empty", req_id)
    sound = text(args[2], "[sound]", req_id, max_chars=256) if len(args) == 3 else None
    return req_id, pack, sound


def safe_stem(value: str, *, max_chars: int = 48, fallback: str = "sfx") -> str:
    """One file-name component: Unicode letters/digits, ``_`` and ``-`` only, never empty, never a device name."""
    s = unicodedata.normalize("NFKC", value)
    s = "".join(c if (c.isalnum() or c == "-") else "_" for c in s)
    s = re.sub(r"[_-]*_[_-]*", "_", s).strip("_-")
    s = s[:max_chars].rstrip("_-")
    if not s:
        s = fallback
    if s.upper() in _WINDOWS_RESERVED:
        s = f"{s}_"
    return s


def file_id(req_id: str | int) -> str:
    """The req_id as a file-name component: itself when ``[A-Za-z0-9_-]{1,64}``, else sanitised + 10-hex hash."""
    s = str(req_id)
    if _SAFE_ID.fullmatch(s) and s.upper() not in _WINDOWS_RESERVED:
        return s
    digest = hashlib.sha1(s.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{safe_stem(s, max_chars=40, fallback='id')}-{digest}"
