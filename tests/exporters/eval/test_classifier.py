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
    emb, logits = embed_and_classify(model, [m for _, m in test])
    assert emb.shape == (12, 16)
    assert accuracy(logits, np.array([k for k, _ in test])) >= 0.9


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
