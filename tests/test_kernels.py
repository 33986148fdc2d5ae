"""Every kernel path against a plain NumPy reference and against each other.

Tolerances and why:
- int8 layers (linear part): bit-exact on every path: integer dot products are
  exact and the float epilogue ((float)acc * scale + subias) is the same
  sequence of float32 operations.
- float layers: bit-exact between paths (same FMA chain per output); vs NumPy's
  float64 product within 1e-5 relative to sum |w x| (float32 accumulation).
- tanh/sigmoid: every path divides through the same software model of Intel's
  12-bit rcpps estimate (relative error <= 1.5 * 2^-12), so paths agree bit for
  bit and are within 4e-4 of the exact-division rational function.
"""
import numpy as np
import pytest

import dredfast
from dredfast import _core

import blobutil
import nnet_ref

SIMD = [i for i in dredfast.available_isas() if i != "scalar"]
CODES = {"scalar": _core.ISA_SCALAR, "avx2": _core.ISA_AVX2, "avx512": _core.ISA_AVX512,
         "neon": _core.ISA_NEON, "neon_dotprod": _core.ISA_NEON_DOTPROD}
ACT_TOL = {isa: 4e-4 for isa in CODES}

# Layers of the shipped RDO-VAE decoder covering every kind of matrix.
REAL = [
    ("dec_dense1", 26, 96),        # float, nb_inputs not a multiple of 4
    ("dec_hidden_init", 50, 128),  # float
    ("dec_glu1", 64, 64),          # dense int8
    ("dec_conv1", 64, 32),         # dense int8 (conv1d)
    ("dec_output", 576, 80),       # 8x4 block-sparse int8, 50 %
    ("dec_gru_init", 128, 320),    # block-sparse int8
    ("dec_gru3_input", 288, 192),  # block-sparse int8, 23 %
]


@pytest.fixture(scope="module")
def real_blob():
    import dredfast._weights as w
    return w._default()._blob


@pytest.fixture(scope="module")
def real_records():
    from importlib import resources
    return blobutil.as_dict(resources.files("dredfast.weights").joinpath("opus-1.6.1.bin").read_bytes())


def inputs(n, rng):
    """Random values in [-1, 1], exact rounding ties of the u8 quantiser, and edges."""
    x = rng.uniform(-1, 1, n).astype(np.float32)
    ties = (rng.integers(-127, 127, n) + 0.5) / 127
    x[::3] = ties[::3].astype(np.float32)
    x[:4] = [1.0, -1.0, 0.0, 1.0 / 254]
    return x


def test_kernels_available():
    isas = dredfast.available_isas()
    assert isas[0] == "scalar"
    assert set(isas) <= set(CODES)


@pytest.mark.parametrize("name,nin,nout", REAL)
def test_real_layers_match_numpy_and_each_other(real_blob, real_records, name, nin, nout):
    rng = np.random.default_rng(nin * 1000 + nout)
    ref = nnet_ref.Layer(real_records, name, nin, nout)
    outs = {}
    xs = [np.zeros(nin, np.float32)] + [inputs(nin, rng) for _ in range(4)]
    for isa in dredfast.available_isas():
        layer = _core.TestLayer(real_blob, name, nin, nout, CODES[isa])
        for trial, x in enumerate(xs):
            y = layer.dense(x, _core.ACT_LINEAR)
            want = ref.linear(x)
            if ref.int8:
                np.testing.assert_array_equal(y, want, err_msg=f"{isa} {name}")
            else:
                bound = 1e-5 * (np.abs(ref.m) @ np.abs(x.astype(np.float64)) + 1e-6)
                assert np.all(np.abs(y - want) <= bound), f"{isa} {name}"
            outs.setdefault(trial, {})[isa] = y
    for per_isa in outs.values():
        first = per_isa["scalar"]
        for isa, y in per_isa.items():
            np.testing.assert_array_equal(y, first, err_msg=f"{isa} vs scalar")


def random_layer_blob(rng, kind, nin, nout, prefix="t"):
    w = rng.integers(-64, 64, (nout, nin)).astype(np.int8)
    bias = rng.normal(0, 0.5, nout)
    scale = rng.uniform(1e-3, 1e-2, nout)
    if kind == "dense":
        return blobutil.blob(blobutil.dense_int8_layer(prefix, w, bias, scale))
    if kind == "sparse":
        mask = rng.random((nout // 8, nin // 4)) < 0.35
        w = w * np.repeat(np.repeat(mask, 8, 0), 4, 1)
        return blobutil.blob(blobutil.sparse_int8_layer(prefix, w.astype(np.int8), bias, scale))
    return blobutil.blob(blobutil.dense_float_layer(prefix, rng.normal(0, 0.3, (nout, nin)), bias))


@pytest.mark.parametrize("kind,nin,nout", [
    ("dense", 4, 8), ("dense", 12, 16), ("dense", 20, 8), ("dense", 36, 24), ("dense", 1024, 64),
    # 32-output groups with every input tail (AVX-512 runs four 8-output blocks together)
    ("dense", 8, 32), ("dense", 44, 40), ("dense", 60, 72), ("dense", 52, 96), ("dense", 4, 32),
    ("sparse", 4, 8), ("sparse", 28, 40), ("sparse", 512, 96), ("sparse", 2048, 16),
    ("float", 1, 1), ("float", 13, 21), ("float", 7, 40), ("float", 33, 3),
    # the shapes of plc_dense_out, FARGAN's gain layers, and 32 + 32 + 8 outputs
    ("float", 128, 30), ("float", 192, 4), ("float", 80, 1), ("float", 20, 72),
])
def test_random_layers(kind, nin, nout):
    rng = np.random.default_rng(nin + 7 * nout)
    data = random_layer_blob(rng, kind, nin, nout)
    blob = _core.Blob(data)
    ref = nnet_ref.Layer(blobutil.as_dict(data), "t", nin, nout)
    results = []
    for isa in dredfast.available_isas():
        layer = _core.TestLayer(blob, "t", nin, nout, CODES[isa])
        x = inputs(nin, rng) if nin >= 4 else rng.uniform(-1, 1, nin).astype(np.float32)
        y = layer.dense(x, _core.ACT_LINEAR)
        want = ref.linear(x)
        if kind == "float":
            bound = 1e-5 * (np.abs(ref.m) @ np.abs(x.astype(np.float64)) + 1e-6)
            assert np.all(np.abs(y - want) <= bound)
            # Same FMA chain on every path.
            y_scalar = _core.TestLayer(blob, "t", nin, nout, _core.ISA_SCALAR).dense(x, _core.ACT_LINEAR)
            np.testing.assert_array_equal(y, y_scalar)
        else:
            np.testing.assert_array_equal(y, want, err_msg=isa)
        results.append(y)


def _maddubs_linear(layer: "nnet_ref.Layer", x: np.ndarray) -> np.ndarray:
    """The AVX2 int8 arithmetic, saturation included: ``vpmaddubsw`` adds the u8 x s8
    products of each pair of adjacent inputs (2k, 2k+1) of an output into an int16 with
    signed saturation, ``vpmaddwd`` then sums those int16s exactly into int32
    (libopus's AVX2 cgemv8x4 does the same, csrc/nnet/kernels_avx2.c)."""
    u = nnet_ref.quantize_u8(x)
    m = layer.m.astype(np.int64)
    pairs = m[:, 0::2] * u[0::2] + m[:, 1::2] * u[1::2]
    acc = np.clip(pairs, -32768, 32767).sum(axis=1)
    y = (acc.astype(np.float32) * layer.scale.astype(np.float32)).astype(np.float32)
    return (y + layer.subias).astype(np.float32)


def test_u8_quantiser_saturates_out_of_range_inputs(real_blob, real_records):
    """Inputs beyond [-1, 1] (never produced by tanh layers, but legal) saturate to u8 0 / 255.
    Then scalar and AVX-512 (VNNI: exact int32 dot products) give the exact integer sum;
    AVX2 saturates each adjacent pair's sum to int16 first, as libopus's AVX2 build does
    (with the Opus weights |w0 + w1| <= 129, so only u8 = 255 inputs can reach it)."""
    ref = nnet_ref.Layer(real_records, "dec_glu1", 64, 64)
    x = np.linspace(-3, 3, 64).astype(np.float32)
    x[40:] = 3.0  # u8 255 on both inputs of many pairs
    for isa in dredfast.available_isas():
        y = _core.TestLayer(real_blob, "dec_glu1", 64, 64, CODES[isa]).dense(x, _core.ACT_LINEAR)
        want = _maddubs_linear(ref, x) if isa == "avx2" else ref.linear(x)
        np.testing.assert_array_equal(y, want, err_msg=isa)


def test_avx2_pair_saturation_is_explicit():
    """A layer built to saturate: pairs of +127 / -128 weights on u8 255 inputs reach
    +-64770 / -65280, beyond int16.  AVX2 must clip each pair's sum to [-32768, 32767]
    (exactly the model above); scalar and AVX-512 must not."""
    if "avx2" not in dredfast.available_isas():
        pytest.skip("no AVX2 on this CPU")
    nin, nout = 16, 8
    w = np.zeros((nout, nin), np.int8)
    w[0::2, :] = 127
    w[1::2, :] = -128
    w[2, :] = 1                       # a row whose pairs stay in range: no clipping there
    scale = np.full(nout, 1.0 / 1024, np.float32)
    data = blobutil.blob(blobutil.dense_int8_layer("t", w, np.zeros(nout, np.float32), scale))
    blob = _core.Blob(data)
    layer = nnet_ref.Layer(blobutil.as_dict(data), "t", nin, nout)
    x = np.full(nin, 3.0, np.float32)  # u8 255 everywhere
    sat, exact = _maddubs_linear(layer, x), layer.linear(x)
    assert not np.array_equal(sat, exact)             # the model does clip here
    assert sat[2] == exact[2]
    for isa in dredfast.available_isas():
        y = _core.TestLayer(blob, "t", nin, nout, CODES[isa]).dense(x, _core.ACT_LINEAR)
        np.testing.assert_array_equal(y, sat if isa == "avx2" else exact, err_msg=isa)


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu", "linear"])
def test_activations(real_blob, act):
    code = {"tanh": _core.ACT_TANH, "sigmoid": _core.ACT_SIGMOID, "relu": _core.ACT_RELU,
            "linear": _core.ACT_LINEAR}[act]
    ref_fn = nnet_ref.ACT[code]
    x = np.concatenate([np.linspace(-12, 12, 2001), [0.0, 1e-30, -1e-30, 50, -50]]).astype(np.float32)
    for n in (len(x), 7, 1, 9):  # whole vectors and SIMD tails
        for isa in dredfast.available_isas():
            layer = _core.TestLayer(real_blob, "dec_glu1", 64, 64, CODES[isa])
            y = layer.activation(x[:n], code)
            tol = ACT_TOL[isa] if act in ("tanh", "sigmoid") else 0
            np.testing.assert_allclose(y, ref_fn(x[:n]), rtol=0, atol=tol + 1e-7, err_msg=f"{isa} n={n}")
        ys = [_core.TestLayer(real_blob, "dec_glu1", 64, 64, CODES[i]).activation(x[:n], code)
              for i in dredfast.available_isas()]
        for y in ys[1:]:
            np.testing.assert_array_equal(y, ys[0])
    # Against the true functions: libopus's approximation is good to ~5e-4.
    y = _core.TestLayer(real_blob, "dec_glu1", 64, 64, _core.ISA_SCALAR).activation(x, code)
    if act == "tanh":
        assert np.max(np.abs(y - np.tanh(x.astype(np.float64)))) < 5e-4
    if act == "sigmoid":
        assert np.max(np.abs(y - 1 / (1 + np.exp(-x.astype(np.float64))))) < 5e-4


def test_simd_paths_bit_identical(real_blob):
    """AVX2 and AVX-512 (NEON and NEON + SDOT) share float/activation code and exact integer sums."""
    if len(SIMD) < 2:
        pytest.skip(f"only {SIMD} available here")
    rng = np.random.default_rng(3)
    for name, nin, nout in REAL:
        a = _core.TestLayer(real_blob, name, nin, nout, CODES[SIMD[0]])
        others = [_core.TestLayer(real_blob, name, nin, nout, CODES[i]) for i in SIMD[1:]]
        for _ in range(10):
            x = inputs(nin, rng)
            for act in (_core.ACT_LINEAR, _core.ACT_TANH, _core.ACT_SIGMOID):
                for b in others:
                    np.testing.assert_array_equal(a.dense(x, act), b.dense(x, act))


def test_gru_glu_conv1d(real_blob, real_records):
    rng = np.random.default_rng(11)
    gin = nnet_ref.Layer(real_records, "dec_gru2_input", 192, 192)
    grec = nnet_ref.Layer(real_records, "dec_gru2_recurrent", 64, 192)
    glu = nnet_ref.Layer(real_records, "dec_glu2", 64, 64)
    conv = nnet_ref.Layer(real_records, "dec_conv2", 64, 32)
    for isa in dredfast.available_isas():
        tol = 2e-3
        g = _core.TestGru(real_blob, "dec_gru2_input", "dec_gru2_recurrent", 192, 64, CODES[isa])
        state = rng.uniform(-1, 1, 64).astype(np.float32)
        for _ in range(3):
            x = rng.uniform(-1, 1, 192).astype(np.float32)
            got = g.step(state, x)
            np.testing.assert_allclose(got, nnet_ref.gru_step(gin, grec, state, x), atol=tol, rtol=0, err_msg=isa)
            state = got
        layer = _core.TestLayer(real_blob, "dec_glu2", 64, 64, CODES[isa])
        np.testing.assert_allclose(layer.glu(state), nnet_ref.glu(glu, state), atol=tol, rtol=0)
        c = _core.TestLayer(real_blob, "dec_conv2", 64, 32, CODES[isa])
        mem = np.zeros(32, np.float32)
        rmem = mem.copy()
        for _ in range(3):
            x = rng.uniform(-1, 1, 32).astype(np.float32)
            y, mem = c.conv1d(x, mem, _core.ACT_TANH)
            ry, rmem = nnet_ref.conv1d(conv, rmem, x, _core.ACT_TANH)
            np.testing.assert_allclose(y, ry, atol=tol, rtol=0)
            np.testing.assert_array_equal(mem, x)  # kernel 2: memory is the last input


def test_rcp_model_formula_is_exact():
    """csrc/nnet/rcp.h models Intel's rcpps as float 1 / (interval midpoint less one ulp)
    rounded to 12 mantissa bits, ties down.  Check that against the exact table entries
    round(4096 (4095 - 2i) / (4097 + 2i)) for all 2048 intervals, at every exponent the
    activations can give it and the extremes, and several positions inside the interval."""
    from fractions import Fraction
    exact = []
    for k in range(2048):
        v = Fraction(4096 * (4095 - 2 * k), 4097 + 2 * k)
        assert v.denominator != 2  # no ties in the table itself
        exact.append(round(v))
    exact = np.array(exact, np.uint32)
    # Known entries of Intel's table (mantissa field / 256).
    assert 8 * exact[0] == 0x7FF0 and 8 * exact[1] == 0x7FD0 and 8 * exact[16] == 0x7DF8 and 8 * exact[2047] == 8
    i = np.arange(2048, dtype=np.uint32)
    for e in (1, 2, 100, 127, 136, 137, 150, 200, 252):
        for low in (0, 1, 0x5A5, 0xFFF):
            b = np.uint32(e << 23) | (i << 12) | np.uint32(low)
            mid = ((b & np.uint32(0xFFFFF000)) | np.uint32(0x7FF)).view(np.float32)
            r = (np.float32(1) / mid).astype(np.float32).view(np.uint32)
            r = (r + np.uint32(0x3FF)) & np.uint32(0xFFFFF800)
            # e = 252: the table's 2^-126 scale is the smallest normal exponent
            np.testing.assert_array_equal(r, np.uint32((253 - e) << 23) | (exact << 11))
    # And the C paths compute the same thing: tanh/sigmoid through the kernels match
    # a NumPy evaluation that uses this reciprocal model.


def test_embedding_lookup_checks_index():
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    for i in range(4):
        np.testing.assert_array_equal(_core.test_embedding(table, i), table[i])
    for bad in (-1, 4, 2 ** 31 - 1):
        with pytest.raises(ValueError, match="out of range"):
            _core.test_embedding(table, bad)
