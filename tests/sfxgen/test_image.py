"""Runtime image preprocessing (no torch) against open_clip's eval transform."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from sfxgen.image import CLIP_MEAN, CLIP_STD, ImageError, load_image, preprocess, preprocess_batch

# Both sides call Pillow's Image.resize(BICUBIC) on the same image in the same order, so the only
# possible difference is float32 rounding of (x / 255 - mean) / std: we measure exactly 0 on these
# images and allow 1e-5 (a Pillow/torchvision version that resized differently would show up here).
ATOL = 1e-5


def _images() -> list[Image.Image]:
    rng = np.random.default_rng(0)

    def noise(h, w, c=3):
        smooth = rng.integers(0, 256, (h // 4 + 1, w // 4 + 1, c), dtype=np.uint8)
        big = np.kron(smooth, np.ones((4, 4, 1), np.uint8))[:h, :w]
        return (big // 2 + rng.integers(0, 128, (h, w, c), dtype=np.uint8)).astype(np.uint8)

    ims = [
        Image.fromarray(noise(300, 500)),  # landscape
        Image.fromarray(noise(480, 271)),  # portrait, odd sizes
        Image.fromarray(noise(224, 224)),  # already the size (no resize)
        Image.fromarray(noise(60, 90)),  # upscaled
        Image.fromarray(noise(225, 1000)),  # extreme aspect
        Image.fromarray(noise(257, 259, 4), "RGBA"),
        Image.fromarray(noise(333, 222)[..., 0], "L"),
        Image.fromarray(noise(200, 300)).convert("P", palette=Image.Palette.ADAPTIVE),
    ]
    return ims


@pytest.fixture(scope="module")
def open_clip_transform():
    pytest.importorskip("torch")
    from exporters.encoders.torchvision_guard import install

    install()
    pytest.importorskip("open_clip")
    from open_clip.transform import image_transform

    return lambda size: image_transform(size, is_train=False, mean=CLIP_MEAN, std=CLIP_STD)


@pytest.mark.parametrize("size", [224, 32])
def test_preprocess_equals_open_clip(open_clip_transform, size):
    tf = open_clip_transform(size)
    worst = 0.0
    for im in _images():
        ours = preprocess(im, size)
        ref = tf(im).numpy()
        assert ours.shape == (3, size, size) and ours.dtype == np.float32
        worst = max(worst, float(np.abs(ours - ref).max()))
    assert worst <= ATOL, worst


def test_preprocess_batch_and_array_and_path(tmp_path):
    arr = np.random.default_rng(1).integers(0, 256, (100, 150, 3), dtype=np.uint8)
    path = tmp_path / "x.png"
    Image.fromarray(arr).save(path)
    batch = preprocess_batch([arr, path, Image.fromarray(arr)], 64)
    assert batch.shape == (3, 3, 64, 64) and batch.dtype == np.float32
    np.testing.assert_array_equal(batch[0], batch[1])
    np.testing.assert_array_equal(batch[0], batch[2])
    # a mid-grey pixel normalises to (0.5 - mean) / std
    grey = preprocess(np.full((10, 10, 3), 128, np.uint8), 8)
    np.testing.assert_allclose(grey[:, 0, 0], (128 / 255 - np.array(CLIP_MEAN)) / np.array(CLIP_STD), atol=1e-6)


def test_load_image_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(FileNotFoundError, match="folder"):
        load_image(tmp_path)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"this is not a jpeg")
    with pytest.raises(ImageError, match="Pillow can read"):
        load_image(bad)
    good = tmp_path / "good.jpg"
    Image.fromarray(np.zeros((64, 64, 3), np.uint8) + 100).save(good)
    trunc = tmp_path / "trunc.jpg"
    trunc.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ImageError):
        load_image(trunc)
    assert load_image(good).size == (64, 64)
    with pytest.raises(ImageError, match="uint8"):
        preprocess(np.zeros((4, 4, 3), np.float32), 4)


def test_exif_orientation_applied(tmp_path):
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, :20] = 255  # left half white
    im = Image.fromarray(arr)
    exif = im.getexif()
    exif[0x0112] = 6  # rotate 90 CW on display
    path = tmp_path / "rot.jpg"
    im.save(path, exif=exif)
    loaded = load_image(path)
    assert loaded.size == (20, 40)  # width and height swapped
