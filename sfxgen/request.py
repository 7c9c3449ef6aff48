"""What a user asks for: :class:`GenerateRequest`, and the limits every request is checked against."""

from __future__ import annotations

import dataclasses
import enum
import math
import re
from pathlib import Path

from sfxgen.finishing import FinishSpec
from sfxgen.pghi import PhaseInit
from sfxgen.wavfile import SoundTags

MIN_DURATION = 0.25  # seconds
MAX_DURATION = 30.0  # seconds
MAX_VARIATIONS = 64  # one batch
MAX_PROMPT_CHARS = 1000  # longer prompts are refused (the tokenizer would silently truncate them anyway)
MAX_STEPS = 1000
MAX_GUIDANCE = 50.0
MAX_SEED = 2**63 - 1
INIT_STRENGTH = 0.6  # default strength for variations of the user's own sound


class QueryMode(str, enum.Enum):
    """How the denoiser's condition is computed.

    AUTO: image if request.image else (prior if the bundle has a prior else text).
    """

    AUTO = "auto"
    TEXT = "text"  # CLIPSonic-ZS: the text embedding as is
    PRIOR = "prior"  # CLIPSonic-PD/SD: text embedding -> diffusion prior -> image-like embedding
    IMAGE = "image"  # CLIPSonic-IQ: the image embedding


@dataclasses.dataclass(frozen=True)
class GenerateRequest:
    """One generation job: N variations of one query."""

    prompt: str = ""  # text prompt (may be "" when image is given)
    image: Path | None = None  # image query (CLIPSonic-IQ); needs an image encoder in the bundle
    blend_prompt: str = ""  # optional second prompt
    blend: float = 0.0  # weight of blend_prompt in [0, 1] (embedding interpolation)
    query_mode: QueryMode = QueryMode.AUTO
    duration: float = 2.0  # seconds, 0.25 .. 30
    variations: int = 4  # 1 .. 64, seeds seed .. seed+variations-1
    seed: int | None = None  # None -> random, recorded in the result
    guidance: float | None = None  # CFG w; None -> bundle default
    steps: int | None = None  # sampler steps; None -> bundle default
    sampler: str | None = None  # "ddpm" | "ddim" | "dpmpp_2m"; None -> bundle default
    init_audio: Path | None = None  # a sound to make variations of (SDEdit start point), any soundfile format
    strength: float | None = None  # (0, 1]: how much of it to redraw; None -> INIT_STRENGTH with init_audio,
    #                                else the bundle's library default (1: from pure noise)
    phase_init: PhaseInit = PhaseInit.PGHI  # Griffin-Lim's start (sfxgen.pghi); RANDOM replays older files
    channels: int = 1  # 2: stereo, each file two draws of its variation (left drawn as the mono file is)
    start_extension: str = "crossfade"  # how a library recording shorter than the sound goes on (sfxgen.library);
    #                                    "cut" replays files made before it
    finish: FinishSpec = FinishSpec()  # post-processing and file format (sfxgen.finishing)
    tags: SoundTags = SoundTags()  # UCS / iXML fields (sfxgen.wavfile)
    out_dir: Path = Path("out")  # where the WAVs go (created if missing)
    file_stems: tuple[str, ...] | None = None  # explicit file names (no .wav) per variation, else "<slug>_s<seed>"
    overwrite: bool = False  # replace existing files of the same name


def is_finite_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def slugify(text: str, max_len: int = 40) -> str:
    """File-name-safe short form of a prompt (the ``<slug>`` of default file stems); never empty."""
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:max_len].strip("_")
    return slug or "sound"
