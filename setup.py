"""Build of the dredfast C core (pybind11 module ``dredfast._core``) and of the
compiled libopus binding (Cython module ``dredfast._opus``).

Plain C11 for csrc/ (each SIMD kernel file selects its own instruction set
with a target pragma and is only called after a CPUID check), C++17 for the
binding files (csrc/bindings/*.cpp).  DREDFAST_SANITIZE=1 builds with ASan + UBSan (CI's
sanitizer job); DREDFAST_DEBUG=1 builds with -O0 -g.

Neither module links libopus: both call it through csrc/libopus/opus_lib.c's
dlopen'd function table (see dredfast/_libopus.py for which file is opened).  A
binary wheel carries its own libopus as package data in dredfast/_bundled/, put
there by tools/build_libopus.py before the wheel is built (cibuildwheel's
before-build step); a source install has none and uses the system's.
"""
import os
from glob import glob

import numpy
from Cython.Build import cythonize
from pybind11.setup_helpers import build_ext as _build_ext
from pybind11 import get_include
from setuptools import Extension, setup

C_SOURCES = sorted(
    p for p in glob("csrc/**/*.c", recursive=True) if not os.path.basename(p).startswith(("test_", "fuzz_"))
)
LIBOPUS_TABLE = "csrc/libopus/opus_lib.c"  # the one libopus loader, compiled into both modules
SOURCES = C_SOURCES + sorted(glob("csrc/bindings/*.cpp"))

SANITIZE = os.environ.get("DREDFAST_SANITIZE") == "1"
DEBUG = os.environ.get("DREDFAST_DEBUG") == "1" or SANITIZE

# No FP contraction: the element-wise maths must round like libopus's generic
# C; the kernels use explicit FMA intrinsics where libopus does.
# -fno-wrapv: Python's own CFLAGS (sysconfig) carry -fwrapv, which forbids the compiler to
# assume that int loop counters and indices do not overflow; our C has no signed overflow
# (CI's UBSan job checks it) and loses 9-10 % more instructions on the receiver with it.
COMMON = ["-fno-strict-aliasing", "-fno-wrapv", "-ffp-contract=off", "-fvisibility=hidden", "-Wall", "-Wextra"]
COMMON += ["-O1", "-g", "-fno-omit-frame-pointer"] if DEBUG else ["-O3", "-g0"]
if SANITIZE:
    COMMON += ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"]
C_FLAGS = ["-std=c11"]
CXX_FLAGS = ["-std=c++17"]
LINK = ["-fsanitize=address,undefined"] if SANITIZE else []


class build_ext(_build_ext):
    """Gives .c and .cpp files their own language standard."""

    def build_extensions(self):
        compiler = self.compiler
        original = compiler._compile

        def _compile(obj, src, ext, cc_args, extra_postargs, pp_opts):
            extra = list(extra_postargs or [])
            extra += CXX_FLAGS if src.endswith(".cpp") else C_FLAGS
            return original(obj, src, ext, cc_args, extra, pp_opts)

        compiler._compile = _compile
        try:
            super().build_extensions()
        finally:
            compiler._compile = original


ext = Extension(
    "dredfast._core",
    sources=SOURCES,
    include_dirs=[get_include(), "csrc"],
    extra_compile_args=COMMON,
    extra_link_args=LINK,
    # dlopen of the system libopus (part of libc from glibc 2.34 on; older glibc needs -ldl)
    libraries=["dl"],
    language="c++",
)

# The libopus binding: Cython over the same function table (opus_lib.c) the C
# receiver fills, with the numpy C API for its output arrays.
opus_ext = Extension(
    "dredfast._opus",
    sources=["dredfast/_opus.pyx", LIBOPUS_TABLE],
    include_dirs=["csrc", numpy.get_include()],
    # Built against numpy 2's headers (build requirement), runnable with the oldest numpy
    # the package accepts (pyproject: numpy>=1.21).
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
                   ("NPY_TARGET_VERSION", "NPY_1_21_API_VERSION")],
    # Cython's C is not ours to lint, nor ours to vouch for without -fwrapv
    extra_compile_args=[f for f in COMMON if f not in ("-Wall", "-Wextra", "-fno-wrapv")],
    extra_link_args=LINK,
    libraries=["dl"],
)

# A wheel's own libopus (tools/build_libopus.py); absent in a source build.
BUNDLED = [os.path.basename(p) for p in glob("dredfast/_bundled/*") if os.path.basename(p) != "README.md"]

setup(
    packages=["dredfast", "dredfast.evaluate", "dredfast.weights", "dredfast.data"] + (["dredfast._bundled"] if BUNDLED else []),
    package_dir={"dredfast": "dredfast", "dredfast.weights": "weights"},
    package_data={"dredfast": ["py.typed", "*.pyi"],
                  "dredfast.weights": ["*.bin", "NOTICE", "SHA256SUMS"],
                  "dredfast.data": ["*.wav", "*.txt", "README.md"],
                  **({"dredfast._bundled": BUNDLED} if BUNDLED else {})},
    # Cython's generated C stays out of the wheel (the sdist carries the .pyx).
    exclude_package_data={"dredfast": ["*.c"]},
    ext_modules=[ext] + cythonize([opus_ext], language_level=3, quiet=True),
    cmdclass={"build_ext": build_ext},
    # Sanitizer and debug builds get their own build folder, so their objects
    # and library never mix with (or get reused by) a normal build.
    options={"build": {"build_base": "build/asan" if SANITIZE else "build/debug"}} if DEBUG else {},
    zip_safe=False,
)
