import numpy as np

from exporters.eval.classifier import ClassifierConfig, embed_and_classify, features, train_classifier
from exporters.eval.metrics import accuracy
from sfxgen.configs import MelConfig


def _clip(kind: int, rng: np.random.Generator, mel: MelConfig) -> np.ndarray:
    n = int(rng.uniform(0.5, 1.5) * mel.sample_rate)
    t = np.arange(n) / mel.sample_rate
    if kind == 0:  # low tone
        return 0.5 * np.sin(2 * np.pi * rng.uniform(150, 300) * t)
    if kind == 1:  # high tone
        return 0.5 * np.sin(2 * np.pi * rng.uniform(3000, 5000) * t)
    return 0.2 * rng.standard_normal(n)  # noise


def test_classifier_learns_separable_sounds_and_generalises():
    mel = MelConfig()
    rng = np.random.default_rng(0)
    train = [(k, features(_clip(k, rng, mel), mel)) for k in range(3) for _ in range(6)]
    test = [(k, features(_clip(k, rng, mel), mel)) for k in range(3) for _ in range(4)]
    cfg = ClassifierConfig(
        widths=(8, 16), embed_dim=16, crop_frames=32, batch_size=8, steps=150, lr=3e-3, spec_augment=0
    )
    model = train_classifier([m for _, m in train], np.array([k for k, _ in train]), ["lo", "hi", "noise"], mel, cfg)
    emb, logits = embed_and_classify(model, [m for _, m in test], mel)
    assert emb.shape == (12, 16)
    assert accuracy(logits, np.array([k for k, _ in test])) >= 0.9
    # A short sound followed by seconds of silence (a one-shot in a 4 s render) is judged on the sound.
    silence = features(np.zeros(4 * mel.sample_rate), mel)
    padded = [np.concatenate([m, silence], axis=-1) for _, m in test]
    _, padded_logits = embed_and_classify(model, padded, mel)
    assert np.array_equal(padded_logits.argmax(axis=1), logits.argmax(axis=1))


def test_windows_cover_the_clip_and_only_active_ones_are_judged():
    from exporters.eval.classifier import active, windows

    mel = MelConfig()
    x = np.arange(100, dtype=np.float32)[None].repeat(2, axis=0)  # (M=2, T=100)
    w = windows(x, 32)  # half-overlapping, the last one flush with the end
    assert w.shape == (6, 2, 32)
    assert [int(v[0, 0]) for v in w] == [0, 16, 32, 48, 64, 68]
    short = windows(x[:, :10], 32)  # padded with the clip's own floor
    assert short.shape == (1, 2, 32) and np.all(short[0, :, 10:] == 0)
    floor = (np.log(mel.log_floor) - mel.norm_mean) / mel.norm_std
    level = lambda db: (np.log(10 ** (db / 20) / mel.n_mels) - mel.norm_mean) / mel.norm_std  # noqa: E731
    loud, quiet, silent = (np.full((1, mel.n_mels, 8), v) for v in (level(0), level(-25), floor))
    assert active(np.concatenate([loud, quiet, silent]), mel).tolist() == [True, True, False]


def test_spec_augment_masks_bands_and_frames_to_the_floor():
    from exporters.eval.classifier import _spec_augment

    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 80, 128))
    before = x.copy()
    _spec_augment(x, 2, rng)
    changed = x != before
    assert changed.any()
    assert np.all(x[changed] == before.min())
    assert changed.mean() < 0.5


def test_save_and_load_round_trip(tmp_path):
    import torch

    from exporters.eval.classifier import AudioClassifier, load_classifier, save_classifier

    cfg = ClassifierConfig(widths=(8, 16), embed_dim=16)
    model = AudioClassifier(80, 3, cfg).eval()
    save_classifier(tmp_path / "clf.pt", model, ["a", "b", "c"], cfg, "abc123")
    loaded, classes, loaded_cfg, train_sha = load_classifier(tmp_path / "clf.pt", 80)
    assert classes == ["a", "b", "c"] and loaded_cfg == cfg and train_sha == "abc123"
    x = torch.randn(2, 80, 40)
    with torch.no_grad():
        assert torch.equal(model(x)[1], loaded(x)[1])
