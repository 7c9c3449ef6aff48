from pathlib import Path

import numpy as np
import pytest
import torch

from exporters import parity as par
from exporters.checkpoint import CheckpointError, make_checkpoint, save_checkpoint
from exporters.configs import Denoiser1DConfig, MagnitudePostNetConfig, VocosConfig
from exporters.export import ExportError, export_bundle, export_denoiser, export_vocoder
from sfxgen import bundle as sb
from sfxgen.configs import Prediction
from sfxgen.samplers import SamplerName
from tests.exporters.tiny_components import (
    DENOISER,
    DENOISER_REFINED,
    DIFFUSION,
    MEL,
    VOCODER,
    perturb,
    tiny,
    tiny_query_exporter,
)


@pytest.mark.parametrize("config", [DENOISER, DENOISER_REFINED], ids=["unet", "unet+refiner"])
def test_denoiser_graph_parity_dynamic_axes(tmp_path: Path, config: Denoiser1DConfig) -> None:
    model = perturb(tiny("denoiser_1d", config))  # non-zero output convs, as after training
    spec = export_denoiser(model, tmp_path / "d.onnx")
    assert [t.name for t in spec.inputs] == ["x_t", "t", "cond", "cond_mask"]
    assert spec.config["frames_multiple"] == 2 and spec.config["type"] == "denoiser_1d"
    sess = par.ort_session(tmp_path / "d.onnx")
    for batch, frames in [(1, 2), (3, 30), (5, 64)]:  # traced at (2, 4)
        x = np.random.randn(batch, 16, frames).astype(np.float32)
        feeds = {
            "x_t": x,
            "t": np.arange(batch) * 7,
            "cond": np.random.randn(batch, 16).astype(np.float32),
            "cond_mask": (np.arange(batch) % 2).astype(np.float32),
        }
        ref = model(*(torch.from_numpy(v) for v in feeds.values())).detach().numpy()
        np.testing.assert_allclose(sess.run(["out"], feeds)[0], ref, atol=1e-5)


@pytest.mark.parametrize("sampler", [SamplerName.DDIM, SamplerName.DPMPP_2M, SamplerName.DDPM])
def test_denoiser_sampler_parity(tmp_path: Path, sampler: SamplerName) -> None:
    model = tiny("denoiser_1d", DENOISER)
    export_denoiser(model, tmp_path / "d.onnx")
    rep = par.denoiser_parity(model, tmp_path / "d.onnx", DIFFUSION, sampler=sampler, steps=6)
    assert rep.ok and rep.max_abs < 1e-4, rep


def test_parity_catches_a_different_graph(tmp_path: Path) -> None:
    export_denoiser(tiny("denoiser_1d", DENOISER), tmp_path / "d.onnx")
    other = tiny("denoiser_1d", DENOISER)  # other random weights
    rep = par.denoiser_parity(other, tmp_path / "d.onnx", DIFFUSION)
    assert not rep.ok and rep.max_abs > 1e-2


def test_vocoder_graph_parity(tmp_path: Path) -> None:
    model = tiny("vocos", VOCODER)
    spec = export_vocoder(model, tmp_path / "v.onnx")
    assert [t.name for t in spec.outputs] == ["spec_real", "spec_imag"]
    rep = par.vocoder_parity(model, tmp_path / "v.onnx", MEL)
    assert rep.ok and rep.max_abs < 1e-4, rep


def test_magnitude_postnet_graph_parity(tmp_path: Path) -> None:
    model = tiny(
        "mag_postnet", MagnitudePostNetConfig(**VOCODER.__dict__, sample_rate=MEL.sample_rate, f_max=MEL.f_max)
    )
    spec = export_vocoder(model, tmp_path / "v.onnx")
    assert [t.name for t in spec.outputs] == ["magnitude"] and spec.outputs[0].shape == ("batch", 129, "frames")
    rep = par.vocoder_parity(model, tmp_path / "v.onnx", MEL)
    assert rep.ok and rep.max_abs < 1e-4 and "magnitude / its peak" in rep.detail, rep
    with torch.no_grad():
        model.head.bias.add_(0.1 * torch.randn_like(model.head.bias))  # the graph no longer matches the module
    assert not par.vocoder_parity(model, tmp_path / "v.onnx", MEL).ok


def _checkpoint(tmp_path: Path, **kw) -> Path:
    vocoder = kw.pop("vocoder", ("vocos", VOCODER))
    models = {"denoiser": tiny("denoiser_1d", kw.pop("denoiser", DENOISER)), "vocoder": tiny(*vocoder)}
    ck = make_checkpoint(models, mel=MEL, diffusion=DIFFUSION, query={"type": "tiny", "condition": "text"}, step=5)
    return save_checkpoint(tmp_path / "model.pt", ck)


def test_export_bundle_loads_and_records_parity(tmp_path: Path) -> None:
    bundle, reports = export_bundle(_checkpoint(tmp_path), tmp_path / "b", query_exporter=tiny_query_exporter)
    assert bundle.has(sb.GraphRole.VOCODER) and bundle.vocoder_output is sb.VocoderOutput.STFT
    assert bundle.prediction is Prediction.V and bundle.schedule.num_train_steps == 100
    assert bundle.mel == MEL and bundle.query.embed_dim == 16
    den = bundle.graphs[sb.GraphRole.DENOISER].config
    assert den["frames_multiple"] == 2 and den["precision"] == "fp32" and den["parity"][0]["ok"]
    assert {r.role for r in reports} == {"denoiser", "vocoder"} and all(r.ok for r in reports)
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [
        "bundle.json",
        "denoiser.onnx",
        "text_encoder.onnx",
        "tokenizer.json",
        "vocoder.onnx",
    ]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".b.")]  # temp folder cleaned up
    with pytest.raises(ExportError, match="not empty"):
        export_bundle(_checkpoint(tmp_path), tmp_path / "b", query_exporter=tiny_query_exporter)


def test_export_int8_variant_kept_only_with_parity(tmp_path: Path) -> None:
    bundle, _ = export_bundle(
        _checkpoint(tmp_path), tmp_path / "b", query_exporter=tiny_query_exporter, precision="auto"
    )
    for role in (sb.GraphRole.DENOISER, sb.GraphRole.VOCODER):
        cfg = bundle.graphs[role].config
        kept = cfg["precision"]
        rep = {r["precision"]: r for r in cfg["parity"]}
        assert rep["fp32"]["ok"]
        if kept != "fp32":
            assert rep[kept]["ok"] and rep[kept]["max_abs"] <= par.TOLERANCE[kept]
        else:
            assert not any(r["ok"] for p, r in rep.items() if p != "fp32")


def test_export_errors(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="not found"):
        export_bundle(tmp_path / "missing.pt", tmp_path / "b", query_exporter=tiny_query_exporter)
    wrong_dim = Denoiser1DConfig(**{**DENOISER.__dict__, "cond_dim": 12})
    with pytest.raises(ExportError, match="cond_dim 12 != text encoder embed dim 16"):
        export_bundle(_checkpoint(tmp_path, denoiser=wrong_dim), tmp_path / "b", query_exporter=tiny_query_exporter)
    assert not (tmp_path / "b").exists()
    voc = make_checkpoint({"vocoder": tiny("vocos", VocosConfig(**{**VOCODER.__dict__, "n_mels": 8}))}, mel=MEL)
    with pytest.raises(ExportError, match="vocoder does not match"):
        export_bundle(_checkpoint(tmp_path), tmp_path / "b", query_exporter=tiny_query_exporter, vocoder_checkpoint=voc)
    with pytest.raises(ExportError, match="query encoder 'tiny' cannot be exported"):
        export_bundle(_checkpoint(tmp_path), tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_exported_bundle_generates_audio_in_the_engine(tmp_path: Path) -> None:
    """checkpoint -> bundle -> sfxgen Engine (onnxruntime, no torch in the loop) -> WAV files."""
    from sfxgen.engine import Engine
    from sfxgen.request import GenerateRequest

    bundle, _ = export_bundle(_checkpoint(tmp_path), tmp_path / "b", query_exporter=tiny_query_exporter)
    with Engine(bundle.root, providers="cpu", num_threads=1) as eng:
        req = GenerateRequest(prompt="door slam", duration=0.5, variations=2, seed=3, steps=4, out_dir=tmp_path / "out")
        result = eng.generate(req, timeout=120)
    assert len(result.files) == 2 and all(f.is_file() for f in result.files)
    assert result.seeds == (3, 4)
    import soundfile

    wave, sr = soundfile.read(result.files[0])
    assert sr == result.sample_rate and len(wave) > 0.4 * sr and np.isfinite(wave).all()


def test_magnitude_postnet_bundle_generates_through_griffin_lim(tmp_path: Path) -> None:
    from sfxgen.engine import Engine
    from sfxgen.request import GenerateRequest

    post = ("mag_postnet", MagnitudePostNetConfig(**VOCODER.__dict__, sample_rate=MEL.sample_rate, f_max=MEL.f_max))
    bundle, reports = export_bundle(
        _checkpoint(tmp_path, vocoder=post), tmp_path / "b", query_exporter=tiny_query_exporter
    )
    assert bundle.vocoder_output is sb.VocoderOutput.MAGNITUDE and all(r.ok for r in reports)
    with Engine(bundle.root, providers="cpu", num_threads=1) as eng:
        req = GenerateRequest(prompt="door slam", duration=0.5, variations=1, seed=3, steps=4, out_dir=tmp_path / "out")
        result = eng.generate(req, timeout=120)
    assert len(result.files) == 1 and result.files[0].stat().st_size > 1000


def test_bundle_with_prior_generates_in_prior_mode(tmp_path: Path) -> None:
    from exporters.configs import DiffusionConfig, PriorConfig
    from sfxgen.configs import ScheduleConfig
    from sfxgen.engine import Engine
    from sfxgen.request import GenerateRequest, QueryMode

    prior_diff = DiffusionConfig(schedule=ScheduleConfig(num_train_steps=64), prediction=Prediction.X0)
    prior = tiny("prior", PriorConfig(embed_dim=16, token_dim=8, max_tokens=12, width=32, depth=2, num_heads=4))
    pck = make_checkpoint({"prior": prior}, mel=MEL, prior_diffusion=prior_diff)
    bundle, reports = export_bundle(
        _checkpoint(tmp_path), tmp_path / "b", query_exporter=tiny_query_exporter, prior_checkpoint=pck
    )
    assert bundle.prior is not None and bundle.prior.prediction is Prediction.X0
    assert [r.role for r in reports] == ["denoiser", "vocoder", "prior"] and all(r.ok for r in reports)
    with Engine(bundle.root, providers="cpu", num_threads=1) as eng:
        req = GenerateRequest(
            prompt="rain on a tin roof",
            duration=0.25,
            variations=1,
            seed=1,
            steps=3,
            query_mode=QueryMode.PRIOR,
            out_dir=tmp_path / "out",
        )
        result = eng.generate(req, timeout=120)
    assert result.files[0].is_file()
    wrong = tiny("prior", PriorConfig(embed_dim=16, token_dim=4, max_tokens=12, width=32, depth=1, num_heads=4))
    with pytest.raises(ExportError, match="prior"):
        export_bundle(
            _checkpoint(tmp_path),
            tmp_path / "c",
            query_exporter=tiny_query_exporter,
            prior_checkpoint=make_checkpoint({"prior": wrong}, mel=MEL, prior_diffusion=prior_diff),
        )
