"""Run `python -m exporters.train` under torchrun (two gloo processes) for the slow DDP tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TORCHRUN = Path(sys.executable).parent / "torchrun"
needs_torchrun = pytest.mark.skipif(shutil.which("torchrun", path=str(TORCHRUN.parent)) is None, reason="no torchrun")


def train_two_processes(config_toml: str, corpus: Path, run_dir: Path) -> None:
    """Write the config beside run_dir, train it with --nproc_per_node=2, assert a clean exit."""
    cfg = run_dir.with_suffix(".toml")
    cfg.write_text(config_toml)
    cmd = [str(TORCHRUN), "--standalone", "--nproc_per_node=2", "-m", "exporters.train", str(cfg),
           "--data", str(corpus), "--out", str(run_dir), "--no-progress"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env, cwd=Path(__file__).parents[3])
    assert proc.returncode == 0, proc.stderr[-2000:]
