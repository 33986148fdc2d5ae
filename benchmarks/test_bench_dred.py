"""pytest-benchmark: DRED decoding and its kernels, per kernel path.

Run on one core:  taskset -c 1 pytest benchmarks --benchmark-enable --benchmark-only
(the test suite itself runs with benchmarks disabled).  The reference cost is
libopus 1.6.1's opus_dred_parse + opus_dred_process of a packet carrying 1 s
(26 latents): 0.17 ms and 2.06 M instructions (../shared/docs/ANCHORS.md).
"""
import numpy as np
import pytest

import dredfast
from dredfast import _core

import vectors

ISAS = dredfast.available_isas()
CODES = {"scalar": _core.ISA_SCALAR, "avx2": _core.ISA_AVX2, "avx512": _core.ISA_AVX512}


@pytest.fixture(scope="module")
def packet26():
    return next(c for c in vectors.subset_cases() if c.nb_latents == 26).packet


@pytest.mark.parametrize("isa", ISAS)
def test_parse_and_features_26_latents(benchmark, packet26, isa):
    dec = dredfast.DredDecoder(isa=isa)
    benchmark.group = "dred: parse + features, 26 latents"

    def run():
        return dec.parse(packet26, 1000).features()

    f = benchmark(run)
    assert f.shape == (104, 20)


def test_parse_only_26_latents(benchmark, packet26):
    dec = dredfast.DredDecoder()
    benchmark.group = "dred: parse only"
    d = benchmark(dec.parse, packet26, 1000)
    assert d.num_latents == 26


def test_find_dred_payload(benchmark, packet26):
    benchmark.group = "dred: find payload"
    assert benchmark(dredfast.find_dred_payload, packet26) is not None


LAYERS = [("dec_output", 576, 80, "sparse int8 576x80"), ("dec_gru1_recurrent", 64, 192, "dense int8 64x192"),
          ("dec_hidden_init", 50, 128, "float 50x128")]


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("name,nin,nout,label", LAYERS)
def test_kernel_linear(benchmark, isa, name, nin, nout, label):
    import dredfast._weights as w
    layer = _core.TestLayer(w._default()._blob, name, nin, nout, CODES[isa])
    x = np.random.default_rng(0).uniform(-1, 1, nin).astype(np.float32)
    benchmark.group = f"kernel: {label}"
    benchmark(layer.dense, x, _core.ACT_LINEAR)


@pytest.mark.parametrize("isa", ISAS)
def test_kernel_tanh_1024(benchmark, isa):
    import dredfast._weights as w
    layer = _core.TestLayer(w._default()._blob, "dec_glu1", 64, 64, CODES[isa])
    x = np.random.default_rng(0).uniform(-4, 4, 1024).astype(np.float32)
    benchmark.group = "kernel: tanh x1024"
    benchmark(layer.activation, x, _core.ACT_TANH)
