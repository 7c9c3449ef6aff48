"""Vocoders side by side on a corpus split (exporters.eval.vocoders), with real numbers on a fake corpus."""

from pathlib import Path

import numpy as np
import pytest

from exporters.checkpoint import make_checkpoint, save_checkpoint
from exporters.configs import build
from exporters.eval.vocoders import checkpoint_resynth, clips, compare, main
from sfxgen.configs import MelConfig
from sfxgen.vocoder import griffin_lim, mel_to_linear
from tests.exporters.train.fakes import make_fake_corpus

POST = {"type": "mag_postnet", "config": {"n_mels": 80, "dim": 16, "intermediate_dim": 32, "num_layers": 1}}


def _checkpoint(path: Path) -> Path:
    post = build(POST)  # zero-initialised: the pseudo-inverse projected back onto the input's mel
    return save_checkpoint(path, make_checkpoint({"vocoder": post}, mel=MelConfig(), ema={"vocoder": post}))


def test_the_untrained_post_net_and_the_pghi_start_each_measurably_help(tmp_path: Path) -> None:
    corpus = make_fake_corpus(tmp_path / "corpus", bad_files=False)
    mel = MelConfig()
    waves = clips(corpus, "valid", every=1, limit=10, seconds=1.0, sample_rate=mel.sample_rate)
    assert len(waves) == 4 and all(len(w) <= mel.sample_rate for w in waves)

    def plain(lm: np.ndarray, n: int, start) -> np.ndarray:
        return griffin_lim(mel_to_linear(lm, mel), mel, n, phase_init=start)[0]

    scores = compare(waves, {"gl": (plain, mel), "post": checkpoint_resynth(_checkpoint(tmp_path / "p.pt"))})
    assert set(scores) == {("gl", "pghi"), ("gl", "random"), ("post", "pghi"), ("post", "random")}
    mean = {k: v.mean(axis=0) for k, v in scores.items()}  # (log-mel L1, SC)
    for start in ("pghi", "random"):  # the projection onto the mel brings the wave's spectrum closer
        assert mean[("post", start)][1] < 0.97 * mean[("gl", start)][1]
    for name in ("gl", "post"):  # PGHI starts far closer on these tonal clips (log-mel L1 0.22 vs 0.37)
        assert mean[(name, "pghi")][0] < 0.8 * mean[(name, "random")][0]
    again = compare(waves, {"post": checkpoint_resynth(_checkpoint(tmp_path / "q.pt"))})
    np.testing.assert_array_equal(again[("post", "pghi")], scores[("post", "pghi")])  # deterministic


def test_command_prints_a_table_and_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    corpus = make_fake_corpus(tmp_path / "corpus", bad_files=False)
    ckpt = str(_checkpoint(tmp_path / "p.pt"))
    assert main(["--corpus", str(corpus), "--checkpoint", ckpt, "--every", "2", "--seconds", "0.5"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| vocoder (2 valid clips) |") and len(table) == 4
    assert table[2].endswith("| 0% / 0% |")  # the first row against itself
    assert main(["--corpus", str(corpus), "--checkpoint", ckpt, "--split", "nope"]) == 2
    assert main(["--corpus", str(corpus), "--checkpoint", str(tmp_path / "missing.pt")]) == 2
    with pytest.raises(SystemExit):
        main(["--corpus", str(corpus)])  # nothing to compare
