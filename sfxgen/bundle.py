"""Model bundle: a folder with ``bundle.json`` and one ONNX graph per step.

The config travels with the weights. :func:`load_bundle` validates the
whole manifest (schema version, configs, graph files, their declared inputs
and outputs, sha256 checksums) and refuses anything it does not understand
with a :class:`BundleError` that names the problem and the fix.

Graph contract (names are fixed per role; N = batch, L = tokens, E = embed dim,
M = n_mels, T = frames, W = token width, F = n_fft//2+1):

  text_encoder   input_ids int64 (N, L) [+ attention_mask int64 (N, L)]
                 -> text_embed float32 (N, E) L2-normalised, text_tokens float32 (N, L, W)
  image_encoder  pixel_values float32 (N, 3, H, W) -> image_embed float32 (N, E) L2-normalised
  prior          x_t float32 (N, E), t int64 (N,), text_embed float32 (N, E),
                 text_tokens float32 (N, L, W), cond_mask float32 (N,) -> out float32 (N, E)
  denoiser       x_t float32 (N, M, T), t int64 (N,), cond float32 (N, E),
                 cond_mask float32 (N,) -> out float32 (N, M, T)
                 (cond_mask 1 = use cond, 0 = the learned null condition, for CFG)
  vocoder        mel float32 (N, M, T) natural-log mel (not normalised) ->
                 waveform float32 (N, S)                       if vocoder_output == "waveform"
                 spec_real, spec_imag float32 (N, F, T)        if vocoder_output == "stft"
                 magnitude float32 (N, F, T) linear magnitude  if vocoder_output == "magnitude"
                                                               (the runtime phases it by Griffin-Lim)
                 (the engine finishes "stft" with a numpy iSTFT; ONNX has no ISTFT op)
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from pathlib import Path
from typing import Any

from sfxgen.configs import ConfigError, MelConfig, Prediction, ScheduleConfig, from_dict, to_dict

SCHEMA_VERSION = 1
MANIFEST = "bundle.json"


class BundleError(ValueError):
    """A bundle is missing, corrupt, or of a kind this version cannot run."""


class GraphRole(str, enum.Enum):
    TEXT_ENCODER = "text_encoder"
    IMAGE_ENCODER = "image_encoder"
    PRIOR = "prior"
    DENOISER = "denoiser"
    VOCODER = "vocoder"


class EncoderKind(str, enum.Enum):
    CLIP = "clip"  # open_clip text + image towers, CLIP BPE tokenizer
    MINILM = "minilm"  # sentence-transformers all-MiniLM-L6-v2, WordPiece tokenizer, mean pooling


class TokenizerKind(str, enum.Enum):
    CLIP_BPE = "clip_bpe"  # open_clip SimpleTokenizer, context length 77
    WORDPIECE = "wordpiece"  # BERT WordPiece from a tokenizer.json shipped in the bundle


class VocoderOutput(str, enum.Enum):
    WAVEFORM = "waveform"
    STFT = "stft"
    MAGNITUDE = "magnitude"


VOCODER_OUTPUTS: dict[VocoderOutput, tuple[str, ...]] = {
    VocoderOutput.WAVEFORM: ("waveform",),
    VocoderOutput.STFT: ("spec_real", "spec_imag"),
    VocoderOutput.MAGNITUDE: ("magnitude",),
}

REQUIRED_IO: dict[GraphRole, tuple[tuple[str, ...], tuple[str, ...]]] = {
    GraphRole.TEXT_ENCODER: (("input_ids",), ("text_embed", "text_tokens")),
    GraphRole.IMAGE_ENCODER: (("pixel_values",), ("image_embed",)),
    GraphRole.PRIOR: (("x_t", "t", "text_embed", "text_tokens", "cond_mask"), ("out",)),
    GraphRole.DENOISER: (("x_t", "t", "cond", "cond_mask"), ("out",)),
    GraphRole.VOCODER: (("mel",), ()),  # outputs depend on vocoder_output
}


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    """One graph input or output: name, dtype and shape (ints or axis names)."""

    name: str
    dtype: str  # "float32" | "float16" | "int64"
    shape: tuple[int | str, ...]  # e.g. ("batch", 80, "frames")


@dataclasses.dataclass(frozen=True)
class GraphSpec:
    """One ONNX graph of the bundle."""

    file: str  # file name inside the bundle folder
    sha256: str  # hex digest of the file
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    config: dict[str, Any]  # the {"type", "config"} of the torch module that built it


@dataclasses.dataclass(frozen=True)
class TokenizerSpec:
    kind: TokenizerKind
    max_length: int  # tokens per prompt (77 for CLIP)
    file: str | None = None  # vocabulary file inside the bundle (WordPiece tokenizer.json)
    sha256: str | None = None


@dataclasses.dataclass(frozen=True)
class QuerySpec:
    """The query encoder(s) the denoiser was conditioned with."""

    kind: EncoderKind
    embed_dim: int  # E
    tokenizer: TokenizerSpec
    image_size: int | None = None  # CLIP image tower input size (center crop)
    image_mean: tuple[float, ...] | None = None  # per-channel normalisation
    image_std: tuple[float, ...] | None = None
    condition: str = "text"  # what the denoiser was trained on: "image" (CLIPSonic), "text", "hybrid"


@dataclasses.dataclass(frozen=True)
class PriorSpec:
    """Diffusion prior text embedding -> image embedding (CLIPSonic-PD/SD)."""

    schedule: ScheduleConfig
    prediction: Prediction = Prediction.X0
    num_steps: int = 64  # sampling steps (paper appendix A)
    candidates: int = 2  # samples drawn; keep the one with higher cosine to the text
    guidance: float = 1.0


@dataclasses.dataclass(frozen=True)
class Defaults:
    """Recommended generation settings, chosen by ``sfxgen eval``."""

    guidance: float = 1.5  # CFG w
    steps: int = 25
    sampler: str = "dpmpp_2m"
    duration: float = 2.0  # seconds
    clip_x0: float | None = None  # clamp of predicted x0 in diffusion space
    strength: float = 1.0  # SDEdit strength of library-seeded prompts (1: from pure noise; sfxgen.library)


@dataclasses.dataclass(frozen=True)
class LibrarySpec:
    """The bundle's sound library (:mod:`sfxgen.library`): recordings that seed generation."""

    file: str  # file name inside the bundle folder
    sha256: str
    entries: int  # recordings
    license: str = ""  # licences of the recordings (each entry carries its own)


@dataclasses.dataclass(frozen=True)
class Bundle:
    """A validated bundle, ready for the engine to open."""

    root: Path
    bundle_id: str
    mel: MelConfig
    schedule: ScheduleConfig
    prediction: Prediction
    query: QuerySpec
    graphs: dict[GraphRole, GraphSpec]
    defaults: Defaults
    vocoder_output: VocoderOutput | None
    prior: PriorSpec | None
    license: str
    data_card: dict[str, Any]
    manifest_sha256: str  # sha256 of bundle.json: the "bundle hash" recorded in every file
    library: LibrarySpec | None = None

    def path(self, role: GraphRole) -> Path:
        return self.root / self.graphs[role].file

    def has(self, role: GraphRole) -> bool:
        return role in self.graphs


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _tensor_specs(items: Any, where: str) -> tuple[TensorSpec, ...]:
    if not isinstance(items, list):
        raise BundleError(f"{where}: expected a list of tensor specs")
    return tuple(from_dict(TensorSpec, d, f"{where}[{i}]") for i, d in enumerate(items))


def load_bundle(root: str | Path, verify_checksums: bool = True) -> Bundle:
    """Read and validate a bundle folder; raise :class:`BundleError` naming what is wrong."""
    root = Path(root)
    manifest = root / MANIFEST
    if not manifest.is_file():
        raise BundleError(f"{root}: not a model bundle (no {MANIFEST}); pass a folder made by `sfxgen export`")
    raw = manifest.read_bytes()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BundleError(f"{manifest}: corrupt JSON ({exc}); re-export or re-copy the bundle") from exc
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise BundleError(
            f"{manifest}: schema_version {version!r} is not supported (this sfxgen reads {SCHEMA_VERSION}); "
            "upgrade sfxgen or re-export the bundle"
        )
    known = {
        "schema_version", "bundle_id", "mel", "schedule", "prediction", "query", "graphs", "defaults",
        "vocoder_output", "prior", "license", "data_card", "created", "sfxgen_version", "library",
    }  # fmt: skip
    unknown = sorted(set(data) - known)
    if unknown:
        raise BundleError(f"{manifest}: unknown key(s) {unknown}; this bundle needs a newer sfxgen")
    try:
        query_raw = dict(data["query"])
        query_raw["tokenizer"] = from_dict(TokenizerSpec, query_raw.get("tokenizer", {}), "query.tokenizer")
        query_raw["kind"] = EncoderKind(query_raw["kind"])
        query = from_dict(QuerySpec, query_raw, "query")
        graphs: dict[GraphRole, GraphSpec] = {}
        for role_name, g in data["graphs"].items():
            try:
                role = GraphRole(role_name)
            except ValueError:
                raise BundleError(f"{manifest}: unknown graph role {role_name!r}") from None
            g = dict(g)
            g["inputs"] = _tensor_specs(g.get("inputs"), f"graphs.{role_name}.inputs")
            g["outputs"] = _tensor_specs(g.get("outputs"), f"graphs.{role_name}.outputs")
            graphs[role] = from_dict(GraphSpec, g, f"graphs.{role_name}")
        prior = None
        if data.get("prior") is not None:
            p = dict(data["prior"])
            p["schedule"] = from_dict(ScheduleConfig, p.get("schedule", {}), "prior.schedule")
            prior = from_dict(PriorSpec, p, "prior")
        bundle = Bundle(
            root=root,
            bundle_id=str(data["bundle_id"]),
            mel=from_dict(MelConfig, data["mel"], "mel"),
            schedule=from_dict(ScheduleConfig, data["schedule"], "schedule"),
            prediction=Prediction(data["prediction"]),
            query=query,
            graphs=graphs,
            defaults=from_dict(Defaults, data.get("defaults", {}), "defaults"),
            vocoder_output=VocoderOutput(data["vocoder_output"]) if data.get("vocoder_output") else None,
            prior=prior,
            license=str(data.get("license", "")),
            data_card=dict(data.get("data_card", {})),
            manifest_sha256=hashlib.sha256(raw).hexdigest(),
            library=from_dict(LibrarySpec, data["library"], "library") if data.get("library") else None,
        )
    except KeyError as exc:
        raise BundleError(f"{manifest}: missing required key {exc}") from exc
    except (ConfigError, ValueError, TypeError) as exc:
        if isinstance(exc, BundleError):
            raise
        raise BundleError(f"{manifest}: {exc}") from exc
    _validate(bundle, verify_checksums)
    return bundle


def _validate(bundle: Bundle, verify_checksums: bool) -> None:
    where = bundle.root / MANIFEST
    for role in (GraphRole.TEXT_ENCODER, GraphRole.DENOISER):
        if role not in bundle.graphs:
            raise BundleError(f"{where}: required graph {role.value!r} is missing")
    if bundle.has(GraphRole.PRIOR) != (bundle.prior is not None):
        raise BundleError(f"{where}: a prior graph needs a 'prior' section and vice versa")
    if bundle.has(GraphRole.VOCODER) and bundle.vocoder_output is None:
        raise BundleError(f"{where}: vocoder graph present but 'vocoder_output' is not set")
    for role, spec in bundle.graphs.items():
        need_in, need_out = REQUIRED_IO[role]
        if role is GraphRole.VOCODER:
            need_out = VOCODER_OUTPUTS[bundle.vocoder_output]  # type: ignore[index]
        names_in = {t.name for t in spec.inputs}
        names_out = {t.name for t in spec.outputs}
        missing = [n for n in need_in if n not in names_in] + [n for n in need_out if n not in names_out]
        if missing:
            raise BundleError(f"{where}: graph {role.value!r} lacks tensor(s) {missing}")
        path = bundle.root / spec.file
        if not path.is_file():
            raise BundleError(f"{where}: graph file {spec.file!r} for {role.value!r} is missing; re-copy the bundle")
        if verify_checksums and sha256_file(path) != spec.sha256:
            raise BundleError(
                f"{path}: checksum mismatch (file is corrupt or was changed after export); re-copy or re-export it"
            )
    tok = bundle.query.tokenizer
    if tok.file is not None:
        path = bundle.root / tok.file
        if not path.is_file():
            raise BundleError(f"{where}: tokenizer file {tok.file!r} is missing")
        if verify_checksums and tok.sha256 and sha256_file(path) != tok.sha256:
            raise BundleError(f"{path}: checksum mismatch; re-copy or re-export the bundle")
    if not 0.0 < bundle.defaults.strength <= 1.0:
        raise BundleError(f"{where}: defaults.strength {bundle.defaults.strength} must be in (0, 1]")
    if bundle.library is not None:
        path = bundle.root / bundle.library.file
        if not path.is_file():
            raise BundleError(f"{where}: sound library file {bundle.library.file!r} is missing; re-copy the bundle")
        if verify_checksums and sha256_file(path) != bundle.library.sha256:
            raise BundleError(f"{path}: checksum mismatch; re-copy the bundle or rebuild its library")


def bundle_to_json(bundle: Bundle) -> dict[str, Any]:
    """The manifest dict of a bundle (used by the exporter to write bundle.json)."""

    def graph(g: GraphSpec) -> dict[str, Any]:
        return {
            "file": g.file,
            "sha256": g.sha256,
            "inputs": [to_dict(t) for t in g.inputs],
            "outputs": [to_dict(t) for t in g.outputs],
            "config": g.config,
        }

    query = to_dict(bundle.query)
    query["kind"] = bundle.query.kind.value
    query["tokenizer"] = to_dict(bundle.query.tokenizer)
    query["tokenizer"]["kind"] = bundle.query.tokenizer.kind.value
    prior = None
    if bundle.prior is not None:
        prior = to_dict(bundle.prior)
        prior["schedule"] = to_dict(bundle.prior.schedule)
    return {
        "schema_version": SCHEMA_VERSION,
        "bundle_id": bundle.bundle_id,
        "mel": to_dict(bundle.mel),
        "schedule": to_dict(bundle.schedule),
        "prediction": bundle.prediction.value,
        "query": query,
        "graphs": {role.value: graph(g) for role, g in bundle.graphs.items()},
        "defaults": to_dict(bundle.defaults),
        "vocoder_output": bundle.vocoder_output.value if bundle.vocoder_output else None,
        "prior": prior,
        "license": bundle.license,
        "data_card": bundle.data_card,
        **({"library": to_dict(bundle.library)} if bundle.library is not None else {}),
    }
