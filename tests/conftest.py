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


# ------------------------------------------------------------------------------------------
# Tests that need libopus skip (with the loader's reason) on a machine without one
# ------------------------------------------------------------------------------------------
def _libopus_absent():
    """The loader's message when no libopus can be found, else None (checked once)."""
    from dredfast import _libopus
    try:
        _libopus._load()
    except _libopus.LibopusNotFound as e:
        return str(e)
    return None


_ABSENT = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test (or its fixture) stopped by LibopusNotFound is reported as skipped, with the
    loader's message, when this machine has no libopus at all.  Not when
    DREDFAST_REQUIRE_LIBOPUS=1 (CI: there it stays a failure), and not when a libopus is
    present (then LibopusNotFound is a real failure, e.g. a wrong path in the code)."""
    import os

    outcome = yield
    rep = outcome.get_result()
    if call.excinfo is None or os.environ.get("DREDFAST_REQUIRE_LIBOPUS") == "1":
        return
    from dredfast._libopus import LibopusNotFound
    if not call.excinfo.errisinstance(LibopusNotFound):
        return
    if not _ABSENT:
        _ABSENT.append(_libopus_absent())
    if _ABSENT[0] is None:
        return
    rep.outcome = "skipped"
    rep.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: needs libopus: {_ABSENT[0]}")
