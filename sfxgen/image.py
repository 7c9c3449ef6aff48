"""Image queries without torch: load a picture and reproduce open_clip's eval preprocessing.

open_clip (``resize_mode="shortest"``) does, in this order: torchvision ``Resize(size,
BICUBIC)`` (shortest side to ``size``, the other ``int(size * long / short)``; on a PIL
image this is Pillow's own ``Image.resize``), ``CenterCrop(size)`` (offsets
``round((h - size) / 2)``), ``convert("RGB")``, ``ToTensor`` (/255) and ``Normalize``.
We call the same Pillow functions in the same order, so the result equals open_clip's
to float32 rounding (tests check max abs diff <= 1e-5).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# OpenAI CLIP normalisation (open_clip's OPENAI_DATASET_MEAN / STD); bundles record their own
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


class ImageError(ValueError):
    """An image query file cannot be used (unreadable, empty, not an image)."""


def load_image(path: str | Path) -> Image.Image:
    """Open an image file fully (first frame of animations), EXIF orientation applied.

    Raises:
        FileNotFoundError: the path does not exist or is a folder.
        ImageError: the file is not an image Pillow can decode (or is truncated).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: image file not found")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: is a folder, not an image file")
    try:
        with Image.open(path) as im:
            im.load()
            img = ImageOps.exif_transpose(im)
            img = img.copy() if img is im else img
    except UnidentifiedImageError as exc:
        raise ImageError(f"{path}: not an image format Pillow can read (PNG, JPEG, WebP, BMP, GIF, TIFF ...)") from exc
    except (OSError, SyntaxError, ValueError) as exc:  # truncated / corrupt data
        raise ImageError(f"{path}: the image is corrupt or truncated ({exc})") from exc
    if img.width < 1 or img.height < 1:
        raise ImageError(f"{path}: empty image ({img.width}x{img.height})")
    return img


def resize_shortest(img: Image.Image, size: int) -> Image.Image:
    """Bicubic resize so the shortest side is ``size`` (torchvision ``Resize(int)`` rule)."""
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    if (new_w, new_h) == (w, h):
        return img
    return img.resize((new_w, new_h), Image.Resampling.BICUBIC)


def center_crop(img: Image.Image, size: int) -> Image.Image:
    """Square center crop (torchvision ``CenterCrop`` offsets); the image is at least ``size`` on each side."""
    w, h = img.size
    top = round((h - size) / 2.0)
    left = round((w - size) / 2.0)
    return img.crop((left, top, left + size, top + size))


def preprocess(
    image: Image.Image | np.ndarray | str | Path,
    size: int,
    mean: Sequence[float] = CLIP_MEAN,
    std: Sequence[float] = CLIP_STD,
) -> np.ndarray:
    """CLIP pixel values, float32 (3, size, size).

    Args:
        image: a PIL image, an (H, W, 3) / (H, W) uint8 array, or a file path.
        size: the bundle's ``query.image_size``.
        mean, std: per-channel normalisation (``query.image_mean`` / ``image_std``).
    """
    if isinstance(image, (str, Path)):
        image = load_image(image)
    elif isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim not in (2, 3):
            raise ImageError(f"expected an (H, W[, 3]) uint8 array, got {image.dtype} {image.shape}")
        image = Image.fromarray(image)
    if size < 1:
        raise ValueError(f"size must be positive, got {size}")
    img = center_crop(resize_shortest(image, size), size).convert("RGB")
    x = np.asarray(img, dtype=np.float32) / np.float32(255.0)  # (H, W, 3) in [0, 1]
    x = x.transpose(2, 0, 1)  # (3, H, W)
    m = np.asarray(mean, np.float32).reshape(3, 1, 1)
    s = np.asarray(std, np.float32).reshape(3, 1, 1)
    return np.ascontiguousarray((x - m) / s, dtype=np.float32)


def preprocess_batch(
    images: Sequence[Image.Image | np.ndarray | str | Path],
    size: int,
    mean: Sequence[float] = CLIP_MEAN,
    std: Sequence[float] = CLIP_STD,
) -> np.ndarray:
    """The ``pixel_values`` feed, float32 (N, 3, size, size)."""
    return np.stack([preprocess(im, size, mean, std) for im in images]).astype(np.float32)
