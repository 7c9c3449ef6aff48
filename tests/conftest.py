"""Shared fixtures: the tiny random model bundle (built once per session, no torch)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # so tests can `from tests.helpers.tiny_bundle import make_tiny_bundle`
    sys.path.insert(0, str(REPO))
os.environ.setdefault("OMP_NUM_THREADS", "1")  # 2 shared cores: pin one thread everywhere

from tests.helpers.tiny_bundle import make_tiny_bundle  # noqa: E402


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A text-only tiny bundle with a waveform vocoder (read-only by convention: copy it to modify)."""
    return make_tiny_bundle(tmp_path_factory.mktemp("tiny_bundle"))


@pytest.fixture(scope="session")
def tiny_bundle_full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny bundle with prior and image encoder too (PD/SD and IQ queries)."""
    return make_tiny_bundle(tmp_path_factory.mktemp("tiny_bundle_full"), prior=True, image=True)
