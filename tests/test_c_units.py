"""C-level unit tests of the core, built and run with ASan + UBSan.

They need a C compiler and the source tree (both present wherever the package
was built from source, CI included)."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CC = shutil.which("gcc") or shutil.which("cc") or shutil.which("clang")
SAN = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"]
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler on this machine")


def run_c_test(tmp_path, folder, sources, flags=()):
    """Builds csrc/<folder>/<sources> with the sanitisers, runs it, and checks it passed."""
    src = ROOT / "csrc" / folder
    exe = tmp_path / Path(sources[0]).stem
    subprocess.run([CC, "-std=c11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", *flags, *SAN, f"-I{ROOT / 'csrc'}",
                    *[str(src / s) for s in sources], "-lm", "-o", str(exe)], check=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all passed" in r.stdout


@needs_cc
def test_packet_parsers_c(tmp_path):
    run_c_test(tmp_path, "packet", ["test_opus_packet.c", "framing.c", "extensions.c"])


@needs_cc
def test_resampler_paths_c(tmp_path):
    """The receiver's AVX2 filter gives the portable filter's bits; unit DC gain per phase."""
    run_c_test(tmp_path, "receiver", ["test_resampler.c"], ["-ffp-contract=off"])


@needs_cc
def test_pcm16_round_paths_c(tmp_path):
    """The receiver's AVX2 16-bit rounding gives the scalar rounding's bits (ties, clamps, inf, NaN)."""
    run_c_test(tmp_path, "receiver", ["test_pcm16.c"], ["-ffp-contract=off"])
