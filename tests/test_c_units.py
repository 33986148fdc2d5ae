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


@pytest.mark.skipif(CC is None, reason="no C compiler on this machine")
def test_packet_parsers_c(tmp_path):
    src = ROOT / "csrc" / "packet"
    exe = tmp_path / "test_opus_packet"
    subprocess.run([CC, "-std=c11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", *SAN, f"-I{ROOT / 'csrc'}",
                    str(src / "test_opus_packet.c"), str(src / "framing.c"), str(src / "extensions.c"),
                    "-o", str(exe)], check=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all passed" in r.stdout


@pytest.mark.skipif(CC is None, reason="no C compiler on this machine")
def test_resampler_paths_c(tmp_path):
    """The receiver's AVX2 filter gives the portable filter's bits; unit DC gain per phase."""
    src = ROOT / "csrc" / "receiver"
    exe = tmp_path / "test_resampler"
    subprocess.run([CC, "-std=c11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off", *SAN,
                    f"-I{ROOT / 'csrc'}", str(src / "test_resampler.c"), "-lm", "-o", str(exe)], check=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all passed" in r.stdout


@pytest.mark.skipif(CC is None, reason="no C compiler on this machine")
def test_pcm16_round_paths_c(tmp_path):
    """The receiver's AVX2 16-bit rounding gives the scalar rounding's bits (ties, clamps, inf, NaN)."""
    src = ROOT / "csrc" / "receiver"
    exe = tmp_path / "test_pcm16"
    subprocess.run([CC, "-std=c11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off", *SAN,
                    f"-I{ROOT / 'csrc'}", str(src / "test_pcm16.c"), "-lm", "-o", str(exe)], check=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all passed" in r.stdout
