"""Layer contracts: the runtime never imports torch or Qt (import-linter + a live sys.modules check)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = ("torch", "PySide6", "open_clip", "torchvision", "transformers", "sentence_transformers")


def test_import_linter_contracts():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(exe).exists():
        pytest.fail("lint-imports (import-linter) is not installed; pip install import-linter")
    proc = subprocess.run([exe], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_starting_the_engine_imports_no_torch_or_qt(tmp_path):
    code = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
from tests.helpers.tiny_bundle import make_tiny_bundle
import sfxgen.engine, sfxgen.cli, sfxgen.commands.generate
from sfxgen.engine import Engine
from sfxgen.request import GenerateRequest
root = make_tiny_bundle({str(tmp_path / "b")!r}, prior=True, image=True)
with Engine(root, providers="cpu", num_threads=1) as eng:
    eng.generate(GenerateRequest(prompt="dog bark", variations=1, duration=0.3, out_dir={str(tmp_path / "o")!r}))
bad = sorted(m for m in sys.modules if m.split(".")[0] in {FORBIDDEN!r})
print("FORBIDDEN:", bad)
sys.exit(1 if bad else 0)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
