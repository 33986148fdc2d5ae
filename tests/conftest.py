import sys
from pathlib import Path

import pytest

# Test helpers (vectors.py, blobutil.py, nnet_ref.py) live next to the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import dredfast  # noqa: E402

ISAS = dredfast.available_isas()


@pytest.fixture(scope="session")
def weights():
    return dredfast.load_weights()


@pytest.fixture(scope="session", params=ISAS)
def isa(request):
    return request.param


@pytest.fixture(scope="session")
def decoders():
    """One DRED decoder per available kernel path."""
    return {i: dredfast.DredDecoder(isa=i) for i in ISAS}


@pytest.fixture(scope="session")
def libopus():
    """The system libopus; skips without it unless DREDFAST_REQUIRE_LIBOPUS=1 (CI)."""
    import os

    from dredfast import _libopus
    try:
        return _libopus._load()
    except _libopus.LibopusNotFound as e:
        if os.environ.get("DREDFAST_REQUIRE_LIBOPUS") == "1":
            pytest.fail(f"DREDFAST_REQUIRE_LIBOPUS=1 but: {e}")
        pytest.skip(str(e))
