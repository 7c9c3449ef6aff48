"""Regenerate a file from the recipe inside it, and check it is bit-identical.

The recipe pins the bundle (``bundle_sha256``), the query, the seed and the whole batch it was
generated in (``batch_seeds``): onnxruntime may give slightly different numbers for another
batch shape, so the whole batch is replayed and only the file's row is finished and written.
On the same kind of CPU the replay is bit-identical. onnxruntime picks its kernels by CPU (AVX2
vs AVX-512 sum in another order), so on another machine the samples may differ by rounding,
measured at -85 dBFS (max |diff| 5.5e-5) between two such CPUs: :attr:`Regenerated.verdict`
tells that apart from a different sound.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from pathlib import Path

import numpy as np
import soundfile as sf

from sfxgen.errors import RequestError
from sfxgen.finishing import FinishSpec
from sfxgen.pghi import PhaseInit
from sfxgen.pipeline import GenerateResult, Pipeline, plan_request
from sfxgen.recipe import Recipe
from sfxgen.request import GenerateRequest, QueryMode
from sfxgen.wavfile import read_wav_metadata

log = logging.getLogger(__name__)

ROUNDING_LIMIT_DBFS = -60.0  # larger differences are another sound (another seed, phase start, ...), not rounding


@dataclasses.dataclass(frozen=True)
class Regenerated:
    source: Path  # the file whose recipe was replayed
    result: GenerateResult  # the new file
    identical: bool  # audio samples bit-identical to the source
    max_abs_diff: float  # largest sample difference (0.0 when identical)

    @property
    def max_diff_dbfs(self) -> float:
        """The largest sample difference in dBFS (-inf when identical)."""
        return 20 * math.log10(self.max_abs_diff) if self.max_abs_diff > 0 else -math.inf

    @property
    def verdict(self) -> str:
        """ "identical"; "rounding" (under ROUNDING_LIMIT_DBFS: another CPU's float kernels); or "different"."""
        if self.identical:
            return "identical"
        return "rounding" if self.max_diff_dbfs < ROUNDING_LIMIT_DBFS else "different"


def read_recipe(path: Path) -> tuple[Recipe, object]:
    """(recipe, metadata) of a WAV; RequestError when it has none."""
    if not Path(path).is_file():
        raise RequestError(f"{path} does not exist")
    meta = read_wav_metadata(path)
    if meta.recipe is None:
        raise RequestError(f"{path} has no sfxgen recipe (was it written by sfxgen?)")
    return meta.recipe, meta


def request_from_recipe(recipe: Recipe, tags, out_dir: Path, stem: str, overwrite: bool) -> GenerateRequest:
    """The request that replays ``recipe``'s batch; the file's own row is named ``stem``."""
    stems = tuple(stem if s == recipe.seed else f"{stem}__batch{s}" for s in recipe.batch_seeds)
    image = Path(recipe.image_path) if recipe.image_path else None
    return GenerateRequest(
        prompt=recipe.prompt,
        image=image,
        blend_prompt=recipe.blend_prompt,
        blend=recipe.blend,
        query_mode=QueryMode(recipe.query_mode),
        duration=recipe.duration,
        variations=len(recipe.batch_seeds),
        seed=recipe.batch_seeds[0],
        guidance=recipe.guidance,
        steps=recipe.steps,
        sampler=recipe.sampler,
        init_audio=Path(recipe.init_path) if recipe.init_sha256 and recipe.init_path else None,
        strength=recipe.strength,
        phase_init=PhaseInit(recipe.phase_init),
        channels=recipe.channels,
        start_extension=recipe.start_extension,
        finish=FinishSpec.from_dict(recipe.finish),
        tags=tags,
        out_dir=out_dir,
        file_stems=stems,
        overwrite=overwrite,
    )


def regenerate(pipeline: Pipeline, source: Path, out_dir: Path, overwrite: bool = False) -> Regenerated:
    """Replay the recipe of ``source`` into ``out_dir`` (same file name) and compare the samples."""
    source = Path(source)
    recipe, meta = read_recipe(source)
    bundle = pipeline.bundle
    if recipe.bundle_sha256 != bundle.manifest_sha256:
        raise RequestError(
            f"{source} was made with bundle {recipe.bundle_id!r} ({recipe.bundle_sha256[:12]}), but the loaded "
            f"bundle is {bundle.bundle_id!r} ({bundle.manifest_sha256[:12]}); pass --bundle with the original"
        )
    if recipe.image_sha256:
        path = Path(recipe.image_path or "")
        if not path.is_file():
            raise RequestError(f"the query image {path} of {source} is gone; put it back to regenerate")
    if recipe.init_sha256:
        path = Path(recipe.init_path or "")
        if not path.is_file():
            raise RequestError(f"the init audio {path} of {source} is gone; put it back to regenerate")
    if Path(out_dir).resolve() == source.parent.resolve() and not overwrite:
        raise RequestError(f"--out {out_dir} is the source's folder; pick another folder")
    request = request_from_recipe(recipe, meta.tags, Path(out_dir), source.stem, overwrite)
    plan = plan_request(request, bundle, seeds=recipe.batch_seeds)
    if recipe.image_sha256 and plan.image_sha256 != recipe.image_sha256:
        raise RequestError(f"the query image {recipe.image_path} changed since {source} was made (sha256 differs)")
    if recipe.init_sha256 and plan.init_sha256 != recipe.init_sha256:
        raise RequestError(f"the init audio {recipe.init_path} changed since {source} was made (sha256 differs)")
    row = recipe.batch_seeds.index(recipe.seed)
    result = pipeline.generate(plan, keep=[row])
    old, _ = sf.read(source, dtype="float64", always_2d=True)
    new, _ = sf.read(result.files[0], dtype="float64", always_2d=True)
    same_shape = old.shape == new.shape
    diff = float(np.abs(old - new).max()) if same_shape and old.size else (0.0 if same_shape else float("inf"))
    identical = same_shape and bool(np.array_equal(old, new))
    log.info("regenerated %s -> %s: identical=%s", source, result.files[0], identical)
    return Regenerated(source=source, result=result, identical=identical, max_abs_diff=diff)
