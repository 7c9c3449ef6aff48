"""Shared settings of the torch-side tests: one thread (2 shared cores); this folder's own tests are seeded."""

import os
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed(request: pytest.FixtureRequest) -> None:
    if Path(request.node.path).parent == Path(__file__).parent:  # not the subfolders other engineers own
        torch.manual_seed(0)
