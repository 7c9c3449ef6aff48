"""Make ``import torchvision`` work next to a CPU torch when its C++ ops cannot load.

PyPI's torchvision is a CUDA build; with the CPU torch its ``_C`` extension fails to
load and ``torchvision/_meta_registrations.py`` then dies registering fake kernels for
``torchvision::nms`` / ``qnms``, which were never defined. We define those two op
signatures (no kernels) so the import succeeds: transforms work, ``torchvision.ops``
does not (CLIP, transformers and sentence-transformers need none). When ``_C`` loads
(a matching torch/torchvision pair, e.g. a CUDA torch) this does nothing.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

_LIB = None  # keeps the torch.library.Library alive (the definitions die with it)


def install() -> None:
    """Register the missing torchvision op signatures if, and only if, torchvision._C cannot load."""
    global _LIB
    if _LIB is not None or "torchvision" in sys.modules:
        return
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return
    import torch

    for lib in sorted(Path(next(iter(spec.submodule_search_locations))).glob("_C*.so")):
        try:
            torch.ops.load_library(str(lib))
            return  # real ops are there
        except (OSError, RuntimeError):
            pass
    if hasattr(torch.ops.torchvision, "nms"):
        return
    _LIB = torch.library.Library("torchvision", "DEF")
    for name in ("nms", "qnms"):
        _LIB.define(f"{name}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    logger.info("torchvision._C did not load (CPU torch + CUDA torchvision); registered stub op signatures")
