import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


@pytest.fixture(scope="module")
def features():
    """100 frames (1 s) of real speech features, oldest first: the DRED features of a
    26-latent reference packet in the committed subset (tests/data)."""
    import vectors
    c = next(c for c in vectors.subset_cases() if c.features is not None and c.nb_latents == 26)
    return np.ascontiguousarray(c.features[::-1][:100])
