import json
from pathlib import Path

import numpy as np
import pytest
import torch

from exporters.checkpoint import CheckpointError, build_component, load_checkpoint, make_checkpoint, save_checkpoint
from exporters.configs import Denoiser1DConfig, MagnitudePostNetConfig
from exporters.export import export_bundle
from exporters.import_bundle import checkpoint_from_bundle, main
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


def _bundle(tmp_path: Path, config: Denoiser1DConfig = DENOISER) -> tuple[torch.nn.Module, Path]:
    model = perturb(tiny("denoiser_1d", config))  # non-zero output conv, as after training
    ck = make_checkpoint({"denoiser": model}, mel=MEL, diffusion=DIFFUSION, ema={"denoiser": model}, step=7)
    export_bundle(save_checkpoint(tmp_path / "model.pt", ck), tmp_path / "b", query_exporter=tiny_query_exporter)
    return model, tmp_path / "b"


def _assert_same_weights(back: torch.nn.Module, model: torch.nn.Module) -> None:
    want = model.state_dict()
    for name, value in back.state_dict().items():
        np.testing.assert_allclose(value.numpy(), want[name].numpy(), rtol=0, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("config", [DENOISER, DENOISER_REFINED], ids=["unet", "unet+refiner"])
def test_recovers_every_weight_of_the_exported_denoiser(tmp_path: Path, config: Denoiser1DConfig) -> None:
    model, bundle_dir = _bundle(tmp_path, config)
    assert main([str(bundle_dir), str(tmp_path / "back.pt")]) == 0
    ckpt = load_checkpoint(tmp_path / "back.pt")
    assert ckpt.diffusion.prediction == DIFFUSION.prediction and ckpt.mel == MEL
    _assert_same_weights(build_component(ckpt, "denoiser", expect=ckpt.components["denoiser"].spec), model)
    assert "vocoder" not in ckpt.components  # this bundle vocodes with Griffin-Lim alone


@pytest.mark.parametrize(
    "kind, config",
    [
        ("mag_postnet", MagnitudePostNetConfig(**VOCODER.__dict__, sample_rate=MEL.sample_rate, f_max=MEL.f_max)),
        ("vocos", VOCODER),
    ],
)
def test_recovers_the_neural_vocoder_too(tmp_path: Path, kind: str, config) -> None:
    """Its Linear layers are exported as MatMul on the transposed weight; they are found all the same."""
    denoiser, vocoder = perturb(tiny("denoiser_1d", DENOISER)), perturb(tiny(kind, config))
    ck = make_checkpoint({"denoiser": denoiser}, mel=MEL, diffusion=DIFFUSION, ema={"denoiser": denoiser})
    vk = make_checkpoint({"vocoder": vocoder}, mel=MEL, ema={"vocoder": vocoder})
    export_bundle(ck, tmp_path / "b", vocoder_checkpoint=vk, query_exporter=tiny_query_exporter)
    ckpt = checkpoint_from_bundle(tmp_path / "b")
    _assert_same_weights(build_component(ckpt, "denoiser"), denoiser)
    _assert_same_weights(build_component(ckpt, "vocoder", expect=ckpt.components["vocoder"].spec), vocoder)
    assert set(checkpoint_from_bundle(tmp_path / "b", roles=("vocoder",)).components) == {"vocoder"}
    with pytest.raises(CheckpointError, match="cannot recover"):
        checkpoint_from_bundle(tmp_path / "b", roles=("prior",))


def _edit_config(bundle_dir: Path, **changes) -> None:
    manifest = json.loads((bundle_dir / "bundle.json").read_text())
    manifest["graphs"]["denoiser"]["config"]["config"].update(changes)
    (bundle_dir / "bundle.json").write_text(json.dumps(manifest))


def test_a_graph_exported_from_another_architecture_is_refused(tmp_path: Path) -> None:
    _, bundle_dir = _bundle(tmp_path)
    _edit_config(bundle_dir, channels=24, norm_groups=4)
    with pytest.raises(CheckpointError, match="parameters not found"):
        checkpoint_from_bundle(bundle_dir)


def test_weights_that_do_not_reproduce_the_graph_are_refused(tmp_path: Path) -> None:
    """Same parameter shapes, another function (heads split differently): the output check catches it."""
    _, bundle_dir = _bundle(tmp_path)
    _edit_config(bundle_dir, num_heads=1)
    with pytest.raises(CheckpointError, match="differ from the graph"):
        checkpoint_from_bundle(bundle_dir)
