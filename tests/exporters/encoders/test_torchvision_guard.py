"""The torchvision guard: open_clip imports next to a CPU torch; a no-op when torchvision._C loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

SCRIPT = """
import sys, torch
from exporters.encoders import torchvision_guard as g
g.install(); g.install()  # idempotent
import torchvision, open_clip
from torchvision.transforms import CenterCrop
from exporters.encoders.torchvision_guard import _LIB
import torchvision.extension as ext
# either the real ops loaded (guard did nothing) or our stub signatures exist (guard active)
assert ext._has_ops() == (_LIB is None), (ext._has_ops(), _LIB)
print("ok", ext._has_ops(), torch.version.cuda)
"""


def test_guard_makes_open_clip_importable():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("ok")
