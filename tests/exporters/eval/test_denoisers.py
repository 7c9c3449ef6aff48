"""Denoisers side by side on held-out crops (exporters.eval.denoisers), with real numbers on a fake corpus."""

from pathlib import Path

import numpy as np
import pytest
import torch

from exporters.checkpoint import make_checkpoint, save_checkpoint
from exporters.eval.denoisers import compare, format_table, held_out_crops, main
from exporters.train.encoders import HashedEncoder
from exporters.train.warm_start import add_refiner
from tests.exporters.tiny_components import DENOISER, DIFFUSION, MEL, perturb, tiny
from tests.exporters.train.fakes import make_fake_corpus


def _checkpoint():
    torch.manual_seed(0)
    model = perturb(tiny("denoiser_1d", DENOISER))
    return make_checkpoint({"denoiser": model}, mel=MEL, diffusion=DIFFUSION, ema={"denoiser": model})


def test_an_identity_refiner_scores_the_same_and_a_trained_one_differs(tmp_path: Path) -> None:
    corpus = make_fake_corpus(tmp_path / "corpus", bad_files=False)
    x0, captions = held_out_crops(corpus, MEL, ("valid",), frames=128, per_clip=2)
    assert x0.shape[1:] == (MEL.n_mels, 128) and len(captions) == len(x0) >= 4
    base = _checkpoint()
    refined = add_refiner(base, 8)
    changed = add_refiner(base, 8)
    for weights in (changed.components["denoiser"].state_dict, changed.components["denoiser"].ema):
        weights["refiner.conv_out.bias"] = weights["refiner.conv_out.bias"] + 0.5  # a constant shift of the output
    encoder = HashedEncoder(dim=DENOISER.cond_dim)
    scores, crops = compare({"base": base, "identity": refined, "shifted": changed}, corpus, encoder, ("valid",))
    assert crops == len(x0)
    np.testing.assert_array_equal(scores["identity"], scores["base"])
    assert np.all(np.isfinite(scores["base"])) and np.abs(scores["shifted"] - scores["base"]).min() > 0.01
    table = format_table(scores, crops).splitlines()
    assert table[2].endswith("| +0.0% |") and table[4].split("|")[1].strip() == "shifted"


def test_command_refuses_bad_input(tmp_path: Path) -> None:
    corpus = make_fake_corpus(tmp_path / "corpus", bad_files=False)
    ckpt = str(save_checkpoint(tmp_path / "d.pt", _checkpoint()))  # the hashed tiny encoder: not MiniLM
    assert main(["--corpus", str(corpus), "--model", ckpt]) == 2
    assert main(["--corpus", str(corpus), "--model", str(tmp_path / "missing.pt")]) == 2
    with pytest.raises(SystemExit):
        main(["--corpus", str(corpus)])  # nothing to compare
