"""One entry point, ``Pipeline.generate(request) -> GenerateResult``, written as numbered steps.

  1. check inputs           (:func:`plan_request`: every limit, resolved defaults, file names)
  2. encode query           (text / prior / image / blend -> cond (N, E))
  3. timesteps              (``spaced_timesteps`` of the bundle's schedule)
  4. start                  (x_T row i from default_rng(seed_i): (N, M, T_pad); with strength < 1, SDEdit:
                             the init audio or a library recording noised to the first of the last
                             ceil(steps * strength) timesteps, sfxgen.library)
  5. denoise loop           (sampler with CFG, cond + uncond in one batched call; progress, cancel)
  6. vocoder                (diffusion space -> log-mel -> waveform, cropped to the duration)
  7. post-process           (sfxgen.finishing: resample, DC, fades, peak / loudness)
  8. write                  (sfxgen.wavfile: atomic BWF/iXML WAV with the recipe; all or nothing)

Bit-identity: row i's output depends on its seed and on the batch it was computed in
(onnxruntime kernels may differ by batch shape), so every recipe records ``batch_seeds`` and
regeneration replays the whole batch.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import re
import secrets
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

import sfxgen
from sfxgen import samplers
from sfxgen.bundle import Bundle, GraphRole, sha256_file
from sfxgen.errors import Cancelled, RequestError
from sfxgen.finishing import FinishedAudio, finish
from sfxgen.init_audio import check_init_audio, load_init_audio
from sfxgen.library import fit_frames, shared_library
from sfxgen.mel import denormalize, log_mel, normalize
from sfxgen.pghi import PhaseInit
from sfxgen.query import QueryEncoder, resolve_mode
from sfxgen.recipe import START_EXTENSIONS, Recipe
from sfxgen.request import (
    INIT_STRENGTH,
    MAX_DURATION,
    MAX_GUIDANCE,
    MAX_PROMPT_CHARS,
    MAX_SEED,
    MAX_STEPS,
    MAX_VARIATIONS,
    MIN_DURATION,
    GenerateRequest,
    QueryMode,
    is_finite_number,
    slugify,
)
from sfxgen.schedule import make_schedule, spaced_timesteps
from sfxgen.sessions import make_session, session_provider
from sfxgen.vocoder import Vocoder
from sfxgen.wavfile import write_wav

log = logging.getLogger(__name__)

ProgressFn = Callable[[float], None]  # fraction done in [0, 1]
CancelFn = Callable[[], bool]  # True -> stop at the next step
DEFAULT_FRAMES_MULTIPLE = 8
EXTENSION_SEAM_S = 0.5  # crossfade where a library recording shorter than the sound repeats (start_extension)
_STEM_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.,()+#&@'-]{0,199}$")


@dataclasses.dataclass(frozen=True)
class GenerateResult:
    """What a finished job produced (files exist on disk when this is returned)."""

    files: tuple[Path, ...]  # one WAV per variation, in seed order
    seeds: tuple[int, ...]  # the seed of each file
    recipes: tuple[Recipe, ...]  # the recipe written into each file
    sample_rate: int  # Hz of the files
    seconds: float  # requested duration of each sound in seconds
    elapsed: float = 0.0  # wall-clock seconds the job took (check to last write)
    provider: str = ""  # onnxruntime execution provider that ran the denoiser
    audio: tuple[FinishedAudio, ...] = dataclasses.field(default=(), repr=False, compare=False)  # finished signals


@dataclasses.dataclass(frozen=True)
class Plan:
    """A checked request with every default resolved."""

    request: GenerateRequest
    mode: QueryMode  # resolved (never AUTO)
    seeds: tuple[int, ...]  # one per variation
    guidance: float  # CFG w
    steps: int
    sampler: samplers.SamplerName
    num_samples: int  # output samples at the model rate ((duration + a loop's crossfade) * mel.sample_rate)
    num_frames: int  # mel frames generated (padded to the denoiser's frames multiple)
    paths: tuple[Path, ...]  # target files
    image_sha256: str | None
    strength: float = 1.0  # SDEdit strength (1: from pure noise)
    init_sha256: str | None = None  # the init audio's sha256 when the start is the user's sound
    library: bool = False  # start from the bundle library's recordings nearest to the prompt
    phase_init: PhaseInit = PhaseInit.PGHI  # Griffin-Lim's start (sfxgen.vocoder)


def frames_multiple(bundle: Bundle) -> int:
    """The denoiser's required multiple of frames (graph config ``frames_multiple``, default 8)."""
    cfg = bundle.graphs[GraphRole.DENOISER].config or {}
    value = cfg.get("frames_multiple", (cfg.get("config") or {}).get("frames_multiple", DEFAULT_FRAMES_MULTIPLE))
    return max(1, int(value))


def channel_rng(seed: int, channel: int) -> np.random.Generator:
    """Channel 0 draws from ``seed`` as a mono file does; channel 1 from the seed's second stream."""
    return np.random.default_rng(seed if channel == 0 else [seed, channel])


def frames_for(num_samples: int, bundle: Bundle) -> int:
    """Centred STFT frames covering num_samples, rounded up to the denoiser's multiple."""
    hop = bundle.mel.hop_length
    frames = 1 + math.ceil(num_samples / hop)  # (frames - 1) * hop >= num_samples
    k = frames_multiple(bundle)
    return k * math.ceil(frames / k)


def _check_image(path: Path) -> str:
    """sha256 of a readable, decodable image file; RequestError otherwise."""
    if not path.exists():
        raise RequestError(f"image {path} does not exist; check the path")
    if not path.is_file():
        raise RequestError(f"image {path} is not a file")
    try:
        digest = sha256_file(path)
    except OSError as exc:
        raise RequestError(f"image {path} cannot be read ({exc.strerror}); check its permissions") from exc
    try:
        from PIL import Image

        with Image.open(path) as im:
            im.verify()
    except Exception as exc:  # PIL raises many types for broken files
        raise RequestError(f"image {path} is not a readable image ({exc}); use a PNG or JPEG") from exc
    return digest


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise RequestError(f"output folder {out_dir} is a file; pick a folder with --out")
    if not out_dir.exists():
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RequestError(f"cannot create output folder {out_dir} ({exc.strerror}); pick another --out") from exc
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise RequestError(f"output folder {out_dir} is read-only; pick a writable folder with --out")


def plan_request(request: GenerateRequest, bundle: Bundle, seeds: Sequence[int] | None = None) -> Plan:
    """Step 1: check every input against the limits and the bundle; resolve defaults.

    Args:
        request: what the user asked for.
        bundle: the loaded bundle.
        seeds: explicit batch seeds (regeneration); default request.seed .. seed + variations - 1.
    Raises:
        RequestError: naming the field and the fix.
    """
    r = request
    if not isinstance(r, GenerateRequest):
        raise RequestError(f"expected a GenerateRequest, got {type(r).__name__}")
    if not isinstance(r.prompt, str) or not isinstance(r.blend_prompt, str):
        raise RequestError("prompt and blend_prompt must be strings")
    for name in ("prompt", "blend_prompt"):
        if len(getattr(r, name)) > MAX_PROMPT_CHARS:
            raise RequestError(
                f"{name} is {len(getattr(r, name))} characters; at most {MAX_PROMPT_CHARS} are allowed, shorten it"
            )
    try:
        mode_in = QueryMode(r.query_mode)
    except ValueError:
        raise RequestError(f"query_mode {r.query_mode!r} is not one of {[m.value for m in QueryMode]}") from None
    image = Path(r.image) if r.image is not None else None
    mode = resolve_mode(mode_in, image is not None, bundle)
    if mode is QueryMode.IMAGE:
        if image is None:
            raise RequestError("query mode 'image' needs an image (--image PATH)")
        if not bundle.has(GraphRole.IMAGE_ENCODER):
            raise RequestError(
                f"bundle {bundle.bundle_id!r} has no image encoder; image queries need a bundle with one"
            )
    elif not r.prompt.strip():
        raise RequestError(
            "the prompt is empty; describe the sound (e.g. 'heavy wooden door slams shut') or give --image"
        )
    if mode is QueryMode.PRIOR and not bundle.has(GraphRole.PRIOR):
        raise RequestError(f"bundle {bundle.bundle_id!r} has no diffusion prior; use query mode 'text'")
    if not is_finite_number(r.blend) or not 0.0 <= r.blend <= 1.0:
        raise RequestError(f"blend {r.blend!r} must be a number in [0, 1]")
    if r.blend > 0 and not r.blend_prompt.strip():
        raise RequestError("blend > 0 needs a blend prompt (--blend-prompt)")
    if not is_finite_number(r.duration) or not MIN_DURATION <= r.duration <= MAX_DURATION:
        raise RequestError(f"duration {r.duration!r} s must be between {MIN_DURATION} and {MAX_DURATION} seconds")
    if not isinstance(r.variations, int) or isinstance(r.variations, bool) or not 1 <= r.variations <= MAX_VARIATIONS:
        raise RequestError(f"variations {r.variations!r} must be an integer from 1 to {MAX_VARIATIONS}")
    if r.channels not in (1, 2) or isinstance(r.channels, bool):
        raise RequestError(f"channels {r.channels!r} must be 1 (mono) or 2 (stereo)")
    if r.start_extension not in START_EXTENSIONS:
        raise RequestError(f"start_extension {r.start_extension!r} must be one of {list(START_EXTENSIONS)}")
    d = bundle.defaults
    guidance = d.guidance if r.guidance is None else r.guidance
    if not is_finite_number(guidance) or not 0.0 <= guidance <= MAX_GUIDANCE:
        raise RequestError(
            f"guidance {guidance!r} must be a finite number in [0, {MAX_GUIDANCE}] "
            f"(this bundle's default is {d.guidance:g}; 1-8 is the useful range)"
        )
    steps = d.steps if r.steps is None else r.steps
    max_steps = min(MAX_STEPS, bundle.schedule.num_train_steps)
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= max_steps:
        raise RequestError(f"steps {steps!r} must be an integer from 1 to {max_steps}")
    sampler_name = d.sampler if r.sampler is None else r.sampler
    try:
        sampler = samplers.SamplerName(sampler_name)
    except ValueError:
        raise RequestError(
            f"unknown sampler {sampler_name!r}; choose one of {[s.value for s in samplers.SamplerName]}"
        ) from None
    if seeds is None:
        seed = secrets.randbelow(2**31) if r.seed is None else r.seed
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED - r.variations:
            raise RequestError(f"seed {seed!r} must be an integer from 0 to {MAX_SEED - r.variations}")
        seeds = tuple(range(seed, seed + r.variations))
    seeds = tuple(int(s) for s in seeds)
    if len(seeds) != r.variations or len(set(seeds)) != len(seeds):
        raise RequestError(f"need {r.variations} distinct seeds, got {list(seeds)}")
    image_sha = _check_image(image) if image is not None and mode is QueryMode.IMAGE else None
    init_sha = check_init_audio(Path(r.init_audio)) if r.init_audio is not None else None
    use_library = init_sha is None and bundle.library is not None and bool(r.prompt.strip())
    if r.strength is not None:
        strength = r.strength
    elif init_sha is not None:
        strength = INIT_STRENGTH
    else:
        strength = d.strength if use_library else 1.0
    if not is_finite_number(strength) or not 0.0 < strength <= 1.0:
        raise RequestError(f"strength {strength!r} must be a number in (0, 1] (1 = from pure noise)")
    if strength < 1.0 and init_sha is None and not use_library:
        raise RequestError(
            "strength < 1 needs a start sound: give init audio, or a prompt with a bundle that ships a sound library"
        )
    try:
        phase_init = PhaseInit(r.phase_init)
    except ValueError:
        raise RequestError(
            f"unknown phase_init {r.phase_init!r}; choose one of {[p.value for p in PhaseInit]}"
        ) from None
    # file names
    out_dir = Path(r.out_dir)
    if r.file_stems is not None:
        stems = tuple(r.file_stems)
        if len(stems) != len(seeds):
            raise RequestError(f"file_stems has {len(stems)} names for {len(seeds)} variations")
        bad = [s for s in stems if not isinstance(s, str) or not _STEM_OK.match(s) or s.endswith(".")]
        if bad or len(set(stems)) != len(stems):
            raise RequestError(f"file names {bad or stems} are invalid or repeated (no slashes, no leading dot)")
    else:
        base = slugify(r.prompt) if r.prompt.strip() else (slugify(image.stem) if image else "sound")
        stems = tuple(f"{base}_s{s}" for s in seeds)
    paths = tuple(out_dir / f"{stem}.wav" for stem in stems)
    _check_out_dir(out_dir)
    if not r.overwrite:
        existing = [str(p) for p in paths if p.exists()]
        if existing:
            raise RequestError(f"{existing[0]} already exists; pass overwrite (--overwrite), another seed or --out")
    loop_s = r.finish.loop_crossfade_ms * 1e-3
    if loop_s > r.duration:
        raise RequestError(
            f"the loop crossfade ({r.finish.loop_crossfade_ms:g} ms) is longer than the sound ({r.duration:g} s); "
            "shorten the crossfade or lengthen the sound"
        )
    # a loop renders its crossfade on top of the duration: finishing folds it into the head (sfxgen.finishing)
    num_samples = round((r.duration + loop_s) * bundle.mel.sample_rate)
    return Plan(
        request=r,
        mode=mode,
        seeds=seeds,
        guidance=float(guidance),
        steps=steps,
        sampler=sampler,
        num_samples=num_samples,
        num_frames=frames_for(num_samples, bundle),
        paths=paths,
        image_sha256=image_sha,
        strength=float(strength),
        init_sha256=init_sha,
        library=use_library and strength < 1.0,
        phase_init=phase_init,
    )


class Pipeline:
    """Owns the onnxruntime sessions of one bundle; runs plans. Not thread-safe: one caller at a time."""

    def __init__(self, bundle: Bundle, providers: list[str], num_threads: int | None = None) -> None:
        self.bundle = bundle
        self.schedule = make_schedule(bundle.schedule)
        self.denoiser = make_session(bundle.path(GraphRole.DENOISER), providers, num_threads)
        self.provider = session_provider(self.denoiser)
        self.query = QueryEncoder(bundle, providers, num_threads)
        self.vocoder = Vocoder(bundle, providers, num_threads)
        spec = bundle.library
        self.library = shared_library(bundle.root / spec.file, spec.sha256) if spec is not None else None
        log.info("pipeline ready: bundle %s on %s, vocoder %s", bundle.bundle_id, self.provider, self.vocoder.kind)

    # ---------------------------------------------------------------------------------- steps
    def denoiser_fn(self, cond: np.ndarray, w: float) -> samplers.ModelFn:
        """The model_fn of the sampler: CFG over the denoiser graph, one batched call per step."""
        B = cond.shape[0]
        cond32 = cond.astype(np.float32)

        def net(x: np.ndarray, t: np.ndarray) -> np.ndarray:  # x (B or 2B, M, T)
            reps = x.shape[0] // B
            mask = np.concatenate([np.ones(B, np.float32), np.zeros(B, np.float32)])[: x.shape[0]]
            feeds = {
                "x_t": np.ascontiguousarray(x, dtype=np.float32),
                "t": t.astype(np.int64),
                "cond": np.concatenate([cond32] * reps),
                "cond_mask": mask,
            }
            return self.denoiser.run(["out"], feeds)[0]

        # w = 1 is the plain conditional model: (1 - 1) * uncond + 1 * cond, so skip the uncond half
        return net if w == 1.0 else samplers.guided(net, w)

    def synthesize(
        self,
        plan: Plan,
        on_progress: ProgressFn | None = None,
        is_cancelled: CancelFn | None = None,
        entries: Sequence[int] | None = None,
    ) -> np.ndarray:
        """Steps 2-6: plan -> waveforms (variations, num_samples) float64 at the model rate; stereo (.., S, 2).

        ``entries``: each row's library recording when the caller has picked them (:meth:`source_entries`).
        """
        report = on_progress or (lambda f: None)

        def check_cancel() -> None:
            if is_cancelled is not None and is_cancelled():
                raise Cancelled()

        r, b = plan.request, self.bundle
        C = r.channels  # rows per file: a stereo file is two draws of its variation, rows 2i (left) and 2i + 1
        # 2. encode query -> cond (N, E), one row per channel (N = variations * C)
        try:
            image = Path(r.image) if plan.mode is QueryMode.IMAGE and r.image is not None else None
            cond = self.query.condition(plan.mode, r.prompt, plan.seeds, image, r.blend_prompt, r.blend)
        except (OSError, ValueError) as exc:
            raise RequestError(f"cannot encode the query: {exc}") from exc
        cond = np.repeat(cond, C, axis=0)
        report(0.1)
        check_cancel()
        # 3. timesteps (SDEdit runs the last ceil(steps * strength) of them)
        ts = spaced_timesteps(self.schedule.num_train_steps, plan.steps)
        if plan.strength < 1.0:
            ts = ts[-math.ceil(plan.steps * plan.strength) :]
        # 4. start: row i's noise from its own generator, so the noise of seed s never depends on the batch;
        #    a stereo file draws its left channel from the seed as a mono file does, its right from a second stream
        rngs = [channel_rng(seed, c) for seed in plan.seeds for c in range(C)]
        x_T = samplers.randn(rngs, (b.mel.n_mels, plan.num_frames))  # (N, M, T)
        if plan.strength < 1.0:
            abar = float(self.schedule.alphas_cumprod[ts[0]])
            start = np.repeat(self.start_x0(plan, entries), C, axis=0)  # both channels start from the same sound
            x_T = np.sqrt(abar) * start + np.sqrt(1.0 - abar) * x_T  # x_t = alpha x0 + sigma eps

        # 5. denoise loop
        def on_step(done: int, total: int) -> None:
            report(0.1 + 0.8 * done / total)
            check_cancel()

        x0 = samplers.sample(
            plan.sampler,
            self.denoiser_fn(cond, plan.guidance),
            x_T,
            self.schedule,
            ts,
            b.prediction,
            rngs=rngs,
            on_step=on_step,
            clip_x0=b.defaults.clip_x0,
        )  # (N, M, T)
        # 6. vocoder: diffusion space -> natural-log mel -> waveform, cropped to the duration
        wave = self.vocoder(denormalize(x0, b.mel), plan.num_samples, plan.phase_init)  # (N, S)
        if not np.all(np.isfinite(wave)):
            raise RuntimeError("the model produced NaN/inf audio; try fewer steps, lower guidance or another sampler")
        report(0.93)
        check_cancel()
        if C == 2:
            wave = wave.reshape(len(plan.seeds), 2, -1).transpose(0, 2, 1)  # (N, 2S) -> (variations, S, 2)
        return wave

    def source_entries(self, plan: Plan) -> list[int] | None:
        """The library entry each row starts from (None when the plan is not library-seeded)."""
        if not plan.library or self.library is None:
            return None
        # the prompt alone picks the recording (a blend prompt shapes only the redraw)
        query, _ = self.query.encode_text([plan.request.prompt])  # (1, E)
        return [self.library.pick(query[0], seed) for seed in plan.seeds]

    def start_x0(self, plan: Plan, entries: Sequence[int] | None = None) -> np.ndarray:
        """(N, M, T) diffusion-space mels SDEdit starts from: the init audio, or each row's library recording."""
        m = self.bundle.mel
        entries = entries if entries is not None else self.source_entries(plan)
        loop_s = plan.request.finish.loop_crossfade_ms * 1e-3  # a loop's start runs on into itself (0: not a loop)
        if entries is not None:
            if loop_s:
                seam, tile_all = round(loop_s * m.frames_per_second), True
            elif plan.request.start_extension == "crossfade":
                seam, tile_all = round(EXTENSION_SEAM_S * m.frames_per_second), False
            else:  # "cut": as files made before seams were
                seam, tile_all = 0, False
            return np.stack([self.library.x0(k, plan.num_frames, seam=seam, tile_all=tile_all) for k in entries])  # type: ignore[union-attr]
        try:
            wave = load_init_audio(
                Path(plan.request.init_audio),  # type: ignore[arg-type]
                m.sample_rate,
                plan.num_samples,
                loop_seam=round(loop_s * m.sample_rate),
            )
        except (OSError, RuntimeError) as exc:
            raise RequestError(f"cannot read init audio {plan.request.init_audio}: {exc}") from exc
        floor = (np.log(m.log_floor) - m.norm_mean) / m.norm_std
        x0 = fit_frames(normalize(log_mel(wave, m), m), plan.num_frames, False, floor)  # (M, T)
        return np.repeat(x0[None], len(plan.seeds), axis=0)

    def recipe(self, plan: Plan, seed: int, entry: int | None = None) -> Recipe:
        r = plan.request
        source = self.library.entries[entry] if entry is not None and self.library is not None else None
        return Recipe(
            prompt=r.prompt,
            blend_prompt=r.blend_prompt if r.blend > 0 else "",
            blend=float(r.blend),
            image_sha256=plan.image_sha256,
            image_path=str(Path(r.image).resolve()) if plan.image_sha256 else None,
            query_mode=plan.mode.value,
            seed=seed,
            batch_seeds=plan.seeds,
            duration=float(r.duration),
            guidance=plan.guidance,
            steps=plan.steps,
            sampler=plan.sampler.value,
            bundle_id=self.bundle.bundle_id,
            bundle_sha256=self.bundle.manifest_sha256,
            finish=r.finish.to_dict(),
            sfxgen_version=sfxgen.__version__,
            strength=plan.strength,
            init_sha256=plan.init_sha256,
            init_path=str(Path(r.init_audio).resolve()) if plan.init_sha256 else None,
            source_clip=source.id if source else None,
            source_licence=source.licence if source else None,
            phase_init=plan.phase_init.value,
            channels=r.channels,
            start_extension=r.start_extension if source else "cut",  # only library starts are extended by it
        )

    def generate(
        self,
        request: GenerateRequest | Plan,
        on_progress: ProgressFn | None = None,
        is_cancelled: CancelFn | None = None,
        keep: Sequence[int] | None = None,
    ) -> GenerateResult:
        """Run all steps and write the files.

        Args:
            request: a request (checked here) or a plan from :func:`plan_request`.
            on_progress: called with the fraction done.
            is_cancelled: polled between steps; True raises :class:`~sfxgen.errors.Cancelled`.
            keep: rows to finish and write (regeneration writes one row of a replayed batch); default all.
        """
        t0 = time.perf_counter()
        # 1. check inputs
        plan = request if isinstance(request, Plan) else plan_request(request, self.bundle)
        rows = list(range(len(plan.seeds))) if keep is None else list(keep)
        entries = self.source_entries(plan)  # picked once: the start and the recipes name the same recordings
        wave = self.synthesize(plan, on_progress, is_cancelled, entries)
        r = plan.request
        # 7. post-process
        finished = [finish(wave[i], self.bundle.mel.sample_rate, r.finish) for i in rows]
        if is_cancelled is not None and is_cancelled():
            raise Cancelled()
        # 8. write: each file atomically; the batch all or nothing
        recipes = [self.recipe(plan, plan.seeds[i], entries[i] if entries else None) for i in rows]
        written: list[Path] = []
        try:
            for i, audio, recipe in zip(rows, finished, recipes, strict=True):
                written.append(
                    write_wav(plan.paths[i], audio, r.finish.bit_depth, r.tags, recipe, overwrite=r.overwrite)
                )
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        if on_progress:
            on_progress(1.0)
        return GenerateResult(
            files=tuple(written),
            seeds=tuple(plan.seeds[i] for i in rows),
            recipes=tuple(recipes),
            sample_rate=r.finish.sample_rate,
            seconds=float(r.duration),
            elapsed=time.perf_counter() - t0,
            provider=self.provider,
            audio=tuple(finished),
        )
