// The DRED sender's core (csrc/sender/dred_encoder.h) for dredfast.DredEncoder.
#include <cstring>
#include <memory>

#include "common.hpp"
#include "../dred/dred_payload.h"
#include "../sender/dred_encoder.h"

namespace dfbind {
namespace {

class DredEncoderCore {
public:
    DredEncoderCore(const Blob &blob, int isa, int sample_rate, int channels, int opus_delay)
        : model_(new df_dred_enc_model()), st_(new df_dred_enc_state())
    {
        char err[512] = {0};
        if (df_dred_enc_model_init(model_.get(), blob.get(), err, sizeof err)) throw py::value_error(err);
        k_ = kernels_for(isa);
        if (df_dred_enc_init(st_.get(), sample_rate, channels, opus_delay))
            throw py::value_error("sample_rate must be 8000, 12000, 16000, 24000 or 48000, channels 1 or 2, "
                                  "opus_delay 0 or 64");
    }
    void reset() { df_dred_enc_reset(st_.get()); }
    // pcm: interleaved, 10 to 60 ms (whole 10 ms) per channel.
    void push(const f32array &pcm, bool active, int cutoff_hz)
    {
        const int n = frames(pcm, cutoff_hz);
        int rc;
        {
            py::gil_scoped_release nogil;
            rc = df_dred_enc_push(model_.get(), k_, st_.get(), pcm.data(), n, active, cutoff_hz);
        }
        if (rc) throw py::value_error("invalid DRED encoder input");
    }
    // The 16 kHz signal the analysis would get (advances the input filter and
    // resampler only); for comparing with libopus's.
    f32array convert(const f32array &pcm, int cutoff_hz)
    {
        const int n = frames(pcm, cutoff_hz);
        f32array out(static_cast<py::ssize_t>(n / (st_->fs / 100) * 160));
        if (df_dred_enc_convert(st_.get(), pcm.data(), n, cutoff_hz, out.mutable_data()))
            throw py::value_error("invalid DRED encoder input");
        return out;
    }
    py::tuple code(int max_chunks, int max_bytes, int q0, int dq, int qmax)
    {
        uint8_t buf[DF_DRED_ENC_MAX_BYTES];
        df_dred_enc_info info{};
        int n;
        {
            py::gil_scoped_release nogil;
            n = df_dred_enc_code(model_.get(), k_, st_.get(), buf, max_chunks, max_bytes, q0, dq, qmax, &info);
        }
        if (n < 0) throw py::value_error("invalid DRED coding parameters");
        py::dict d;
        d["latent_offset"] = info.latent_offset;
        d["extra_offset"] = info.extra_offset;
        d["nb_latents"] = info.nb_latents;
        d["offset"] = info.offset;
        return py::make_tuple(py::bytes(reinterpret_cast<const char *>(buf), static_cast<size_t>(n)), d);
    }
    // Newest latent, state and the two feature frames behind them.
    py::tuple newest() const
    {
        f32array lat(DF_DRED_LATENT_DIM), state(DF_DRED_STATE_DIM);
        f32array feats({2, static_cast<int>(DF_DRED_NUM_FEATURES)});
        std::memcpy(lat.mutable_data(), st_->latents, sizeof(float) * DF_DRED_LATENT_DIM);
        std::memcpy(state.mutable_data(), st_->states, sizeof(float) * DF_DRED_STATE_DIM);
        std::memcpy(feats.mutable_data(), st_->last_features, sizeof st_->last_features);
        return py::make_tuple(lat, state, feats);
    }
    py::dict counters() const
    {
        py::dict d;
        d["dframes"] = st_->dframes;
        d["dred_offset"] = st_->dred_offset;
        d["latent_offset"] = st_->latent_offset;
        d["latents_fill"] = st_->latents_fill;
        d["last_extra_dred_offset"] = st_->last_extra_dred_offset;
        return d;
    }

private:
    // Samples per channel of an interleaved packet, after checking its shape and the cutoff.
    int frames(const f32array &pcm, int cutoff_hz) const
    {
        const py::ssize_t per10ms = st_->fs / 100 * st_->channels;
        if (pcm.ndim() != 1 || pcm.shape(0) <= 0 || pcm.shape(0) % per10ms || pcm.shape(0) > 6 * per10ms)
            throw py::value_error("pcm must be 1-D, interleaved, whole 10 ms up to 60 ms");
        if (cutoff_hz != 0 && cutoff_hz != DF_DRED_ENC_DC_REJECT &&
            (cutoff_hz < DF_HP_MIN_CUTOFF_HZ || cutoff_hz > DF_HP_MAX_CUTOFF_HZ))
            throw py::value_error("cutoff_hz must be 0, -1 (DC rejection) or 60..100");
        return static_cast<int>(pcm.shape(0) / st_->channels);
    }
    std::unique_ptr<df_dred_enc_model> model_;  // large: kept off the Python object
    std::unique_ptr<df_dred_enc_state> st_;
    const df_kernels *k_ = nullptr;
};

}  // namespace

void bind_dred_encoder(py::module_ &m)
{
    py::class_<DredEncoderCore>(m, "DredEncoderCore")
        .def(py::init<const Blob &, int, int, int, int>(), py::keep_alive<1, 2>(), py::arg("blob"), py::arg("isa"),
             py::arg("sample_rate") = 16000, py::arg("channels") = 1, py::arg("opus_delay") = DF_DRED_ENC_OPUS_DELAY)
        .def("reset", &DredEncoderCore::reset)
        .def("push", &DredEncoderCore::push, py::arg("pcm"), py::arg("active"), py::arg("cutoff_hz"))
        .def("convert", &DredEncoderCore::convert, py::arg("pcm"), py::arg("cutoff_hz"))
        .def("code", &DredEncoderCore::code, py::arg("max_chunks"), py::arg("max_bytes"), py::arg("q0"),
             py::arg("dq"), py::arg("qmax"))
        .def("newest", &DredEncoderCore::newest)
        .def("counters", &DredEncoderCore::counters);
    m.def("dred_quantizer_level", [](int q0, int dq, int qmax, int j) {
        if (q0 < 0 || q0 > 15 || dq < 0 || dq > 7 || qmax < 0 || qmax > 15 || j < 0 || j >= DF_DRED_MAX_LATENTS)
            throw py::value_error("q0, qmax in 0..15, dq in 0..7, j in 0..25");
        return df_dred_quantizer(q0, dq, qmax, j);
    });
}

}  // namespace dfbind
