// dredfast._core: the thin pybind11 layer over the C API.  It converts
// bytes/NumPy to pointers and back, raises ValueError with the C core's
// messages, and releases the GIL around real work.  Argument checking that
// needs no C knowledge lives in the Python package.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"
#include "../include/dredfast.h"
#include "../entropy/range_dec.h"
#include "../entropy/range_enc.h"
#include "../packet/writer.h"
#include "../dred/dred_payload_enc.h"
#include "../dred/dred_stats.h"
#include "../dred/dred_quantize.h"
#include "../models/rdovae_enc.h"
#include "../models/fargan.h"
#include "../analysis/lpcnet_analysis.h"
#include "../weights/bind.h"

namespace {

using namespace dfbind;

struct DecoderDeleter {
    void operator()(df_dred_decoder *d) const { df_dred_decoder_destroy(d); }
};

class DredDecoder;

// A decoded DRED: the integers of the payload and what is needed to run the
// neural decoder on them later.
class DredData {
public:
    explicit DredData(std::shared_ptr<const df_dred_decoder> dec) : dec_(std::move(dec)) {}

    // Filled in place by DredDecoder::parse (no copy of the 5 kB struct).
    df_dred_data d_{};
    df_dred_location loc_{};
    int32_t ext_pos_ = 0;

    // The fields the Python Dred reads eagerly, in one call.
    py::tuple fields() const
    {
        return py::make_tuple(d_.q0, d_.dq, d_.qmax, d_.dred_offset, d_.extra_val, loc_.frame, d_.nb_latents,
                              d_.version);
    }

    py::dict header() const
    {
        py::dict h;
        h["version"] = d_.version;
        h["q0"] = d_.q0;
        h["dq"] = d_.dq;
        h["extra_flag"] = d_.extra_flag;
        h["extra_val"] = d_.extra_val;
        h["offset_sym"] = d_.offset_sym;
        h["qmax"] = d_.qmax;
        h["dred_offset"] = d_.dred_offset;
        h["frame_offset"] = d_.frame_offset;
        h["nb_latents"] = d_.nb_latents;
        h["ec_tell_bits"] = d_.ec_tell_bits;
        h["ext_frame"] = loc_.frame;
        h["ext_len"] = loc_.ext_len;
        h["ext_data_pos"] = ext_pos_;
        return h;
    }
    py::array_t<int32_t> state_q() const
    {
        py::array_t<int32_t> a(d_.state_dim);
        std::memcpy(a.mutable_data(), d_.state_q, sizeof(d_.state_q[0]) * (size_t)d_.state_dim);
        return a;
    }
    py::array_t<float> state() const
    {
        py::array_t<float> a(d_.state_dim);
        std::memcpy(a.mutable_data(), d_.state, sizeof(d_.state[0]) * (size_t)d_.state_dim);
        return a;
    }
    py::array_t<int32_t> latents_q() const
    {
        py::array_t<int32_t> a({d_.nb_latents, d_.latent_dim});
        for (int i = 0; i < d_.nb_latents; i++)
            std::memcpy(a.mutable_data() + (size_t)i * d_.latent_dim, d_.latents_q[i],
                        sizeof(d_.latents_q[0][0]) * (size_t)d_.latent_dim);
        return a;
    }
    py::array_t<float> latents() const
    {
        py::array_t<float> a({d_.nb_latents, d_.latent_in});
        for (int i = 0; i < d_.nb_latents; i++)
            std::memcpy(a.mutable_data() + (size_t)i * d_.latent_in, d_.latents[i],
                        sizeof(d_.latents[0][0]) * (size_t)d_.latent_in);
        return a;
    }
    py::array_t<int32_t> qlevel() const
    {
        py::array_t<int32_t> a(d_.nb_latents);
        for (int i = 0; i < d_.nb_latents; i++) a.mutable_data()[i] = d_.qlevel[i];
        return a;
    }
    py::array_t<float> features() const
    {
        py::array_t<float> a({DF_DRED_FRAMES_PER_LATENT * d_.nb_latents, DF_DRED_NUM_FEATURES});
        float *out = a.mutable_data();
        {
            py::gil_scoped_release nogil;
            df_dred_decoder_features(dec_.get(), &d_, out);
        }
        return a;
    }

private:
    std::shared_ptr<const df_dred_decoder> dec_;
};

class DredDecoder {
public:
    // The Python objects of the blobs are kept alive by keep_alive in the
    // binding; the C decoder only points into them.  model10/stats10: the
    // libopus 1.5 (version 10) model and tables, or None to read version 12 only.
    DredDecoder(const Blob &model, const Blob &stats, int isa, const Blob *model10, const Blob *stats10)
    {
        char err[512] = {0};
        if ((model10 == nullptr) != (stats10 == nullptr))
            throw py::value_error("the version-10 model and tables go together");
        const df_blob *models[2] = {model.get(), model10 ? model10->get() : nullptr};
        const df_blob *stat[2] = {stats.get(), stats10 ? stats10->get() : nullptr};
        static const int versions[2] = {12, 10};
        df_dred_decoder *d = df_dred_decoder_create_versions(models, stat, versions, model10 ? 2 : 1, isa, err,
                                                             sizeof err);
        if (!d) throw py::value_error(err);
        dec_.reset(d, DecoderDeleter());
    }
    std::vector<int> versions() const
    {
        int v[DF_DRED_DECODER_MAX_VERSIONS];
        int n = df_dred_decoder_versions(dec_.get(), v, DF_DRED_DECODER_MAX_VERSIONS);
        return std::vector<int>(v, v + n);
    }
    std::string isa() const
    {
        const df_kernels *k = df_kernels_get(df_dred_decoder_isa(dec_.get()));
        return k ? k->name : "?";
    }
    py::object parse(const py::bytes &packet, int max_ms) const
    {
        auto v = as_view(packet);
        if (v.size() > INT32_MAX) throw py::value_error("packet too large");
        auto d = std::make_shared<DredData>(dec_);
        // Range decoding a whole second takes a few microseconds: not worth
        // releasing the GIL for (features() does).
        int ret = df_dred_decoder_parse(dec_.get(), reinterpret_cast<const uint8_t *>(v.data()),
                                        static_cast<int32_t>(v.size()), max_ms, &d->loc_, &d->d_);
        if (ret < 0) throw py::value_error("malformed Opus packet or extension area");
        if (ret == 0) return py::none();
        d->ext_pos_ = static_cast<int32_t>(d->loc_.ext_data - reinterpret_cast<const uint8_t *>(v.data()));
        return py::cast(d);
    }

private:
    std::shared_ptr<df_dred_decoder> dec_;
};

py::object find_dred(const py::bytes &packet)
{
    auto v = as_view(packet);
    if (v.size() > INT32_MAX) throw py::value_error("packet too large");
    df_dred_location loc{};
    const auto *base = reinterpret_cast<const uint8_t *>(v.data());
    // Every version dredfast reads, newest first.
    static const int versions[2] = {12, 10};
    int ret = df_find_dred_versions(base, static_cast<int32_t>(v.size()), versions, 2, &loc);
    if (ret < 0) throw py::value_error("malformed Opus packet or extension area");
    if (ret == 0) return py::none();
    return py::make_tuple(static_cast<int32_t>(loc.ext_data - base), loc.ext_len, loc.frame, loc.frame_offset,
                          loc.version);
}

// The most extensions packet_info lists: every extension ID (3..127, 125 of
// them, rounded up) once on each of 48 frames.  Real packets carry a few.
constexpr int kMaxListedExtensions = 48 * 128;

py::dict packet_info(const py::bytes &packet)
{
    auto v = as_view(packet);
    if (v.size() > INT32_MAX) throw py::value_error("packet too large");
    const auto *base = reinterpret_cast<const uint8_t *>(v.data());
    df_packet p{};
    if (df_packet_parse(base, static_cast<int32_t>(v.size()), &p) != DF_PACKET_OK)
        throw py::value_error("malformed Opus packet");
    py::dict d;
    d["toc"] = p.toc;
    d["nb_frames"] = p.nb_frames;
    d["samples_per_frame_48k"] = p.samples_per_frame_48k;
    std::vector<int> lens(p.frame_len, p.frame_len + p.nb_frames);
    d["frame_lengths"] = lens;
    d["padding_offset"] = p.padding ? static_cast<int32_t>(p.padding - base) : -1;
    d["padding_len"] = p.padding_len;
    // A repeat marker expands every extension before it once per later frame,
    // so N bytes of one-byte extensions list as 48 N entries: count in C first
    // (no allocation, stopping past the limit) so a hostile packet costs a
    // bounded amount, then list.
    df_ext_iter it;
    df_extension e;
    df_ext_iter_init(&it, p.padding, p.padding_len, p.nb_frames);
    int r, count = 0;
    while ((r = df_ext_iter_next(&it, &e)) == 1 && count <= kMaxListedExtensions)
        count++;
    if (r < 0) throw py::value_error("malformed extension area in the packet padding");
    if (count > kMaxListedExtensions)
        throw py::value_error("packet padding expands to more than " + std::to_string(kMaxListedExtensions) +
                              " extensions (one of each ID on each of 48 frames): refusing to list them");
    py::list exts;
    df_ext_iter_init(&it, p.padding, p.padding_len, p.nb_frames);
    while ((r = df_ext_iter_next(&it, &e)) == 1)
        exts.append(py::make_tuple(e.id, e.frame, static_cast<int32_t>(e.data - base), e.len));
    d["extensions"] = exts;
    return d;
}

// Test hook: one layer bound from a blob (through the same binder the models
// use), run with a chosen kernel path.  Lets the tests compare every path
// with a NumPy reference on real and random layers.
class TestLayer {
public:
    TestLayer(const Blob &blob, const std::string &prefix, int nb_inputs, int nb_outputs, int isa)
    {
        char err[512] = {0};
        if (df_bind_linear(blob.get(), prefix.c_str(), nb_inputs, nb_outputs, &layer_, err, sizeof err))
            throw py::value_error(err);
        k_ = df_kernels_get(static_cast<df_isa>(isa));
        if (!k_) throw py::value_error("instruction set not available");
    }
    f32array dense(const f32array &x, int activation) const
    {
        check(x, layer_.nb_inputs);
        f32array y(layer_.nb_outputs);
        df_compute_dense(k_, &layer_, y.mutable_data(), x.data(), activation);
        return y;
    }
    f32array glu(const f32array &x) const
    {
        check(x, layer_.nb_inputs);
        f32array y(layer_.nb_outputs);
        df_compute_glu(k_, &layer_, y.mutable_data(), x.data());
        return y;
    }
    // Returns (output, new memory).
    py::tuple conv1d(const f32array &x, const f32array &mem, int activation) const
    {
        const int in = static_cast<int>(x.size());
        if (in <= 0 || in > layer_.nb_inputs || layer_.nb_inputs % in != 0)
            throw py::value_error("conv1d input size must divide the layer input");
        check(mem, layer_.nb_inputs - in);
        f32array y(layer_.nb_outputs);
        f32array m(mem.size());
        std::memcpy(m.mutable_data(), mem.data(), sizeof(float) * mem.size());
        df_compute_conv1d(k_, &layer_, y.mutable_data(), m.mutable_data(), x.data(), in, activation);
        return py::make_tuple(y, m);
    }
    f32array activation(const f32array &x, int act) const
    {
        f32array y(x.size());
        k_->activation(y.mutable_data(), x.data(), static_cast<int>(x.size()), act);
        return y;
    }

private:
    static void check(const f32array &a, int n)
    {
        if (a.ndim() != 1 || a.size() != n) throw py::value_error("input has the wrong size");
    }
    df_linear layer_{};
    const df_kernels *k_ = nullptr;
};


class TestGru {
public:
    TestGru(const Blob &blob, const std::string &input, const std::string &recurrent, int nb_inputs, int units,
            int isa)
    {
        char err[512] = {0};
        if (units > DF_MAX_RNN_UNITS ||
            df_bind_linear(blob.get(), input.c_str(), nb_inputs, 3 * units, &in_, err, sizeof err) ||
            df_bind_linear(blob.get(), recurrent.c_str(), units, 3 * units, &rec_, err, sizeof err))
            throw py::value_error(err[0] ? err : "too many GRU units");
        k_ = df_kernels_get(static_cast<df_isa>(isa));
        if (!k_) throw py::value_error("instruction set not available");
    }
    f32array step(const f32array &state, const f32array &x) const
    {
        if (state.size() != rec_.nb_inputs || x.size() != in_.nb_inputs)
            throw py::value_error("state or input has the wrong size");
        f32array s(state.size());
        std::memcpy(s.mutable_data(), state.data(), sizeof(float) * state.size());
        df_compute_gru(k_, &in_, &rec_, s.mutable_data(), x.data());
        return s;
    }

private:
    df_linear in_{}, rec_{};
    const df_kernels *k_ = nullptr;
};

// Test hook: the range decoder driven step by step, so tests can check it
// against an independent encoder on arbitrary symbol sequences.
class TestRangeDecoder {
public:
    explicit TestRangeDecoder(const py::bytes &buf) : buf_(buf)
    {
        auto v = as_view(buf_);
        df_range_dec_init(&d_, reinterpret_cast<const uint8_t *>(v.data()), static_cast<uint32_t>(v.size()));
    }
    uint32_t uint_(uint32_t ft)
    {
        if (ft < 2) throw py::value_error("ft must be > 1");
        return df_range_dec_uint(&d_, ft);
    }
    unsigned decode(unsigned ft)
    {
        if (ft < 1 || ft > (1u << 16)) throw py::value_error("ft out of range");
        return df_range_decode(&d_, ft);
    }
    void update(unsigned fl, unsigned fh, unsigned ft)
    {
        if (!(fl < fh && fh <= ft)) throw py::value_error("bad interval");
        df_range_dec_update(&d_, fl, fh, ft);
    }
    uint32_t bits(unsigned n)
    {
        if (n < 1 || n > 25) throw py::value_error("bits must be in [1, 25]");
        return df_range_dec_bits(&d_, n);
    }
    int icdf16(const std::vector<uint16_t> &icdf, unsigned ftb)
    {
        if (icdf.empty() || icdf.back() != 0 || ftb > 15) throw py::value_error("icdf must end with 0, ftb <= 15");
        return df_range_dec_icdf16(&d_, icdf.data(), ftb);
    }
    int laplace_p0(unsigned p0, unsigned decay)
    {
        if (p0 > 32767 || decay > 32767) throw py::value_error("p0 and decay are Q15 values < 32768");
        return df_laplace_decode_p0(&d_, static_cast<uint16_t>(p0), static_cast<uint16_t>(decay));
    }
    int tell() const { return df_range_dec_tell(&d_); }
    bool error() const { return d_.error != 0; }

private:
    py::bytes buf_;
    df_range_dec d_{};
};

// Test hook: the range encoder driven step by step (compared with the Python
// reference encoder and round-tripped through the decoder in the tests).
class TestRangeEncoder {
public:
    explicit TestRangeEncoder(uint32_t size) : buf_(size ? size : 1, 0)
    {
        df_range_enc_init(&e_, buf_.data(), size);
    }
    void encode(unsigned fl, unsigned fh, unsigned ft)
    {
        if (!(fl < fh && fh <= ft && ft <= (1u << 16))) throw py::value_error("bad interval");
        df_range_encode(&e_, fl, fh, ft);
    }
    void uint_(uint32_t fl, uint32_t ft)
    {
        if (ft < 2 || fl >= ft) throw py::value_error("need 0 <= fl < ft, ft > 1");
        df_range_enc_uint(&e_, fl, ft);
    }
    void bits(uint32_t fl, unsigned n)
    {
        if (n < 1 || n > 25 || fl >= (1u << n)) throw py::value_error("bad raw bits");
        df_range_enc_bits(&e_, fl, n);
    }
    void icdf16(int s, const std::vector<uint16_t> &icdf, unsigned ftb)
    {
        if (icdf.empty() || icdf.back() != 0 || ftb > 15 || s < 0 || s >= static_cast<int>(icdf.size()))
            throw py::value_error("bad icdf symbol");
        df_range_enc_icdf16(&e_, s, icdf.data(), ftb);
    }
    void laplace_p0(int v, unsigned p0, unsigned decay)
    {
        if (p0 > 32767 || decay > 32767) throw py::value_error("p0 and decay are Q15 values < 32768");
        df_laplace_encode_p0(&e_, v, static_cast<uint16_t>(p0), static_cast<uint16_t>(decay));
    }
    int tell() const { return df_range_enc_tell(&e_); }
    py::bytes done()
    {
        df_range_enc_done(&e_);
        if (e_.error) throw py::value_error("range encoder buffer overflow");
        return py::bytes(reinterpret_cast<const char *>(buf_.data()), e_.storage);
    }

private:
    std::vector<uint8_t> buf_;
    df_range_enc e_{};
};

// The DRED quantiser tables of a blob, for the payload encoder.
class DredTables {
public:
    explicit DredTables(const Blob &blob)
    {
        char err[512] = {0};
        if (df_dred_stats_bind(&stats_, blob.get(), err, sizeof err)) throw py::value_error(err);
    }
    py::bytes encode(int q0, int dq, int qmax, int offset, const py::array_t<int32_t, py::array::c_style | py::array::forcecast> &state_q,
                     const py::array_t<int32_t, py::array::c_style | py::array::forcecast> &latents_q, int max_bytes) const
    {
        if (state_q.ndim() != 1 || state_q.shape(0) != DF_DRED_STATE_DIM)
            throw py::value_error("state_q must have 50 values");
        if (latents_q.ndim() != 2 || latents_q.shape(1) != DF_DRED_LATENT_DIM || latents_q.shape(0) > DF_DRED_MAX_LATENTS)
            throw py::value_error("latents_q must be (n, 25) with n <= 26");
        if (max_bytes < 1 || max_bytes > 65536) throw py::value_error("max_bytes must be in [1, 65536]");
        std::vector<uint8_t> out(static_cast<size_t>(max_bytes), 0);
        int n = df_dred_encode_payload(&stats_, q0, dq, qmax, offset, state_q.data(), latents_q.data(),
                                       static_cast<int>(latents_q.shape(0)), out.data(), max_bytes);
        if (n == DF_DRED_ENC_TOO_LARGE) throw py::value_error("the DRED payload does not fit in max_bytes");
        if (n < 0)
            throw py::value_error("invalid DRED header or values (a value too large, or non-zero in a dimension "
                                  "that is not coded at its quantiser level)");
        return py::bytes(reinterpret_cast<const char *>(out.data()), static_cast<size_t>(n));
    }

    // Rows of x quantised at the given levels (latents: 25 values, state: 50).
    py::array_t<int32_t> quantize(const f32array &x, const std::vector<int> &levels, bool state, int isa) const
    {
        const int dim = state ? DF_DRED_STATE_DIM : DF_DRED_LATENT_DIM;
        if (x.ndim() != 2 || x.shape(1) != dim || static_cast<size_t>(x.shape(0)) != levels.size())
            throw py::value_error("x must be (n, 25) for latents or (n, 50) for states, with one level per row");
        const df_kernels *k = df_kernels_get(static_cast<df_isa>(isa < 0 ? df_isa_best() : isa));
        if (!k) throw py::value_error("instruction set not available");
        py::array_t<int32_t> q({x.shape(0), static_cast<py::ssize_t>(dim)});
        for (size_t i = 0; i < levels.size(); i++) {
            const int lv = levels[i];
            if (lv < 0 || lv > 15) throw py::value_error("quantiser levels are 0..15");
            const int o = lv * dim;
            df_dred_quantize(k, x.data() + i * dim, (state ? stats_.state_scale : stats_.latent_scale) + o,
                             (state ? stats_.state_dead_zone : stats_.latent_dead_zone) + o,
                             (state ? stats_.state_r : stats_.latent_r) + o, (state ? stats_.state_p0 : stats_.latent_p0) + o,
                             dim, q.mutable_data() + i * dim);
        }
        return q;
    }

private:
    df_dred_stats stats_{};
};

// The RDO-VAE encoder of one stream (internal until the DRED sender lands).
class RdovaeEncoder {
public:
    RdovaeEncoder(const Blob &blob, int isa)
    {
        char err[512] = {0};
        if (df_rdovae_enc_bind(&model_, blob.get(), err, sizeof err)) throw py::value_error(err);
        k_ = df_kernels_get(static_cast<df_isa>(isa < 0 ? df_isa_best() : isa));
        if (!k_) throw py::value_error("instruction set not available");
        df_rdovae_enc_reset(&st_);
    }
    void reset() { df_rdovae_enc_reset(&st_); }
    // features: (2*D, 20) -> latents (D, 25), states (D, 50), continuing the stream.
    py::tuple run(const f32array &features)
    {
        if (features.ndim() != 2 || features.shape(1) != DF_DRED_NUM_FEATURES || features.shape(0) % 2)
            throw py::value_error("features must be (2*D, 20)");
        const py::ssize_t d = features.shape(0) / 2;
        f32array lat({d, static_cast<py::ssize_t>(DF_DRED_LATENT_DIM)});
        f32array st({d, static_cast<py::ssize_t>(DF_DRED_STATE_DIM)});
        const float *in = features.data();
        float *l = lat.mutable_data(), *s = st.mutable_data();
        {
            py::gil_scoped_release nogil;
            for (py::ssize_t i = 0; i < d; i++)
                df_rdovae_enc_step(&model_, k_, &st_, in + 2 * DF_DRED_NUM_FEATURES * i, l + DF_DRED_LATENT_DIM * i,
                                   s + DF_DRED_STATE_DIM * i);
        }
        return py::make_tuple(lat, st);
    }

private:
    df_rdovae_enc_model model_{};
    df_rdovae_enc_state st_{};
    const df_kernels *k_ = nullptr;
};

// FARGAN vocoder of one stream.
class Fargan {
public:
    Fargan(const Blob &blob, int isa)
    {
        char err[512] = {0};
        if (df_fargan_bind(&model_, blob.get(), err, sizeof err)) throw py::value_error(err);
        k_ = df_kernels_get(static_cast<df_isa>(isa < 0 ? df_isa_best() : isa));
        if (!k_) throw py::value_error("instruction set not available");
        df_fargan_reset(&st_);
    }
    void reset() { df_fargan_reset(&st_); }
    bool primed() const { return st_.primed != 0; }
    void prime(const f32array &pcm, const f32array &features)
    {
        if (pcm.ndim() != 1 || pcm.shape(0) != DF_FARGAN_CONT_SAMPLES) throw py::value_error("pcm must have 320 samples");
        if (features.ndim() != 2 || features.shape(0) != DF_FARGAN_CONT_FRAMES || features.shape(1) != DF_FARGAN_FEATURES)
            throw py::value_error("features must be (5, 20)");
        py::gil_scoped_release nogil;
        df_fargan_prime(&model_, k_, &st_, pcm.data(), features.data());
    }
    f32array synthesize(const f32array &features)
    {
        if (features.ndim() != 2 || features.shape(1) != DF_FARGAN_FEATURES) throw py::value_error("features must be (n, 20)");
        if (!st_.primed) throw py::value_error("prime the vocoder first");
        const py::ssize_t n = features.shape(0);
        f32array out(n * DF_FARGAN_FRAME);
        float *o = out.mutable_data();
        const float *f = features.data();
        {
            py::gil_scoped_release nogil;
            for (py::ssize_t i = 0; i < n; i++)
                df_fargan_frame(&model_, k_, &st_, f + i * DF_FARGAN_FEATURES, o + i * DF_FARGAN_FRAME);
        }
        return out;
    }

private:
    df_fargan_model model_{};
    df_fargan_state st_{};
    const df_kernels *k_ = nullptr;
};

// Feature analysis of one stream (PCM at int16 scale, 160 samples per frame).
class Analyzer {
public:
    Analyzer(const Blob &blob, int isa) : model_(new df_analysis_model()), st_(new df_analysis_state())
    {
        char err[512] = {0};
        if (df_analysis_model_init(model_.get(), blob.get(), err, sizeof err)) throw py::value_error(err);
        k_ = df_kernels_get(static_cast<df_isa>(isa < 0 ? df_isa_best() : isa));
        if (!k_) throw py::value_error("instruction set not available");
        df_analysis_state_init(st_.get());
    }
    void reset() { df_analysis_state_init(st_.get()); }
    py::tuple run(const f32array &pcm)
    {
        if (pcm.ndim() != 1 || pcm.shape(0) % DF_AN_FRAME) throw py::value_error("pcm must be 1-D, a multiple of 160");
        const py::ssize_t n = pcm.shape(0) / DF_AN_FRAME;
        f32array feats({n, static_cast<py::ssize_t>(DF_AN_FEATURES)});
        f32array lpc({n, static_cast<py::ssize_t>(DF_AN_LPC)});
        const float *in = pcm.data();
        float *f = feats.mutable_data(), *l = lpc.mutable_data();
        {
            py::gil_scoped_release nogil;
            for (py::ssize_t i = 0; i < n; i++)
                df_analysis_frame(model_.get(), k_, st_.get(), in + i * DF_AN_FRAME, f + i * DF_AN_FEATURES,
                                  l + i * DF_AN_LPC);
        }
        return py::make_tuple(feats, lpc);
    }

private:
    std::unique_ptr<df_analysis_model> model_;  // large: kept off the Python object
    std::unique_ptr<df_analysis_state> st_;
    const df_kernels *k_ = nullptr;
};

}  // namespace

PYBIND11_MODULE(_core, m)
{
    m.doc() = "dredfast C core (internal; use the dredfast package API)";

    py::class_<Blob>(m, "Blob")
        .def(py::init<const py::bytes &>(), py::arg("data"))
        .def_property_readonly("nbytes", &Blob::nbytes)
        .def("records", &Blob::records)
        .def("has", &Blob::has);

    py::class_<DredData, std::shared_ptr<DredData>>(m, "DredData")
        .def("fields", &DredData::fields)
        .def("header", &DredData::header)
        .def("state_q", &DredData::state_q)
        .def("state", &DredData::state)
        .def("latents_q", &DredData::latents_q)
        .def("latents", &DredData::latents)
        .def("qlevel", &DredData::qlevel)
        .def("features", &DredData::features);

    py::class_<DredDecoder>(m, "DredDecoder")
        .def(py::init<const Blob &, const Blob &, int, const Blob *, const Blob *>(), py::arg("model"),
             py::arg("stats"), py::arg("isa"), py::arg("model10") = py::none(), py::arg("stats10") = py::none(),
             py::keep_alive<1, 2>(), py::keep_alive<1, 3>(), py::keep_alive<1, 5>(), py::keep_alive<1, 6>())
        .def_property_readonly("isa", &DredDecoder::isa)
        .def_property_readonly("versions", &DredDecoder::versions)
        .def("parse", &DredDecoder::parse, py::arg("packet"), py::arg("max_ms"));

    py::class_<TestLayer>(m, "TestLayer")
        .def(py::init<const Blob &, const std::string &, int, int, int>(), py::keep_alive<1, 2>())
        .def("dense", &TestLayer::dense)
        .def("glu", &TestLayer::glu)
        .def("conv1d", &TestLayer::conv1d)
        .def("activation", &TestLayer::activation);

    py::class_<TestGru>(m, "TestGru")
        .def(py::init<const Blob &, const std::string &, const std::string &, int, int, int>(),
             py::keep_alive<1, 2>())
        .def("step", &TestGru::step);

    py::class_<Analyzer>(m, "Analyzer")
        .def(py::init<const Blob &, int>(), py::keep_alive<1, 2>())
        .def("reset", &Analyzer::reset)
        .def("run", &Analyzer::run);

    py::class_<Fargan>(m, "Fargan")
        .def(py::init<const Blob &, int>(), py::keep_alive<1, 2>())
        .def("reset", &Fargan::reset)
        .def_property_readonly("primed", &Fargan::primed)
        .def("prime", &Fargan::prime)
        .def("synthesize", &Fargan::synthesize);

    py::class_<RdovaeEncoder>(m, "RdovaeEncoder")
        .def(py::init<const Blob &, int>(), py::keep_alive<1, 2>())
        .def("reset", &RdovaeEncoder::reset)
        .def("run", &RdovaeEncoder::run);

    py::class_<DredTables>(m, "DredTables")
        .def(py::init<const Blob &>(), py::keep_alive<1, 2>())
        .def("encode", &DredTables::encode)
        .def("quantize", &DredTables::quantize);

    py::class_<TestRangeEncoder>(m, "TestRangeEncoder")
        .def(py::init<uint32_t>())
        .def("encode", &TestRangeEncoder::encode)
        .def("uint", &TestRangeEncoder::uint_)
        .def("bits", &TestRangeEncoder::bits)
        .def("icdf16", &TestRangeEncoder::icdf16)
        .def("laplace_p0", &TestRangeEncoder::laplace_p0)
        .def("tell", &TestRangeEncoder::tell)
        .def("done", &TestRangeEncoder::done);

    py::class_<TestRangeDecoder>(m, "TestRangeDecoder")
        .def(py::init<const py::bytes &>())
        .def("uint", &TestRangeDecoder::uint_)
        .def("decode", &TestRangeDecoder::decode)
        .def("update", &TestRangeDecoder::update)
        .def("bits", &TestRangeDecoder::bits)
        .def("icdf16", &TestRangeDecoder::icdf16)
        .def("laplace_p0", &TestRangeDecoder::laplace_p0)
        .def("tell", &TestRangeDecoder::tell)
        .def_property_readonly("error", &TestRangeDecoder::error);

    m.def("test_embedding", [](py::array_t<float, py::array::c_style | py::array::forcecast> table, int index) {
        if (table.ndim() != 2) throw py::value_error("table must be 2-D");
        const int count = static_cast<int>(table.shape(0)), dim = static_cast<int>(table.shape(1));
        f32array out(dim);
        if (df_compute_embedding(table.data(), count, dim, index, out.mutable_data()))
            throw py::value_error("embedding index out of range");
        return out;
    });
    m.def("packet_with_extensions", [](const py::bytes &packet, const py::list &exts, int32_t max_len) {
        auto v = as_view(packet);
        if (v.size() > INT32_MAX || max_len < 0) throw py::value_error("packet too large");
        std::vector<std::string> data;
        std::vector<df_extension> list;
        data.reserve(exts.size());
        for (const auto &item : exts) {
            auto t = item.cast<py::tuple>();
            if (t.size() != 3) throw py::value_error("extensions are (id, frame, data) tuples");
            data.push_back(t[2].cast<std::string>());
            df_extension e{};
            e.id = t[0].cast<int>();
            e.frame = t[1].cast<int>();
            e.data = reinterpret_cast<const uint8_t *>(data.back().data());
            e.len = static_cast<int32_t>(data.back().size());
            list.push_back(e);
        }
        // The output is at most the input, plus per extension its ID, length
        // bytes and data, plus framing: allocate that, not max_len (which may
        // be 2 GB to return 16 bytes).  Should the bound ever be short, the
        // writer says "too large" and the call is retried at max_len.
        int64_t bound = static_cast<int64_t>(v.size()) + 256;
        for (const auto &x : list) bound += 3 + static_cast<int64_t>(x.len) + x.len / 255;
        int32_t cap = bound < max_len ? static_cast<int32_t>(bound) : max_len;
        std::string out;
        int32_t n;
        for (;;) {
            out.assign(static_cast<size_t>(cap), '\0');
            n = df_packet_with_extensions(reinterpret_cast<const uint8_t *>(v.data()), static_cast<int32_t>(v.size()),
                                          list.data(), static_cast<int>(list.size()),
                                          reinterpret_cast<uint8_t *>(&out[0]), cap);
            if (n != DF_PACKET_TOO_LARGE || cap == max_len) break;
            cap = max_len;
        }
        if (n == DF_PACKET_TOO_LARGE) throw py::value_error("the packet with its extensions exceeds max_bytes");
        if (n < 0) throw py::value_error("malformed Opus packet or invalid extension list");
        out.resize(static_cast<size_t>(n));
        return py::bytes(out);
    });
    m.def("find_dred", &find_dred, py::arg("packet"));
    m.def("packet_info", &packet_info, py::arg("packet"));
    m.def("max_feature_frames", &df_dred_max_feature_frames);
    m.def("isa_supported", [](int isa) { return isa >= 0 && isa < DF_ISA_COUNT && df_isa_supported((df_isa)isa); });
    m.def("isa_best", []() { return static_cast<int>(df_isa_best()); });
    m.attr("ISA_SCALAR") = static_cast<int>(DF_ISA_SCALAR);
    m.attr("ISA_AVX2") = static_cast<int>(DF_ISA_AVX2);
    m.attr("ISA_AVX512") = static_cast<int>(DF_ISA_AVX512);
    m.attr("ISA_NEON") = static_cast<int>(DF_ISA_NEON);
    m.attr("ISA_NEON_DOTPROD") = static_cast<int>(DF_ISA_NEON_DOTPROD);
    m.attr("ACT_LINEAR") = static_cast<int>(DF_ACT_LINEAR);
    m.attr("ACT_SIGMOID") = static_cast<int>(DF_ACT_SIGMOID);
    m.attr("ACT_TANH") = static_cast<int>(DF_ACT_TANH);
    m.attr("ACT_RELU") = static_cast<int>(DF_ACT_RELU);
    m.attr("STATE_DIM") = DF_DRED_STATE_DIM;
    m.attr("LATENT_DIM") = DF_DRED_LATENT_DIM;
    m.attr("NUM_FEATURES") = DF_DRED_NUM_FEATURES;
    m.attr("MAX_LATENTS") = DF_DRED_MAX_LATENTS;

    // Other binding files (one call per bind_<part>.cpp; see common.hpp).
    bind_dred_encoder(m);
    bind_lpcnet(m);
    bind_plc(m);
    bind_receiver(m);
}
