// The LPCNet vocoder (dredfast._core.Lpcnet).  Shapes are checked here
// again (the Python layer checks them first, with friendlier messages):
// the C core trusts the lengths it is given.
#include <algorithm>
#include <memory>

#include "common.hpp"
#include "../models/lpcnet.h"

namespace {

using namespace dfbind;

class Lpcnet {
public:
    Lpcnet(const Blob &blob, int isa, uint64_t seed)
        : model_(new df_lpcnet_model), st_(new df_lpcnet_state)
    {
        char err[512] = {0};
        if (df_lpcnet_bind(model_.get(), blob.get(), err, sizeof err)) throw py::value_error(err);
        k_ = kernels_for(isa);
        df_lpcnet_reset(st_.get(), seed);
    }
    void reset(uint64_t seed) { df_lpcnet_reset(st_.get(), seed); }
    const char *isa() const { return k_->name; }

    f32array synthesize(const f32array &features)
    {
        check_features(features);
        const py::ssize_t n = features.shape(0);
        f32array out(n * DF_LPCNET_FRAME);
        float *o = out.mutable_data();
        const float *f = features.data();
        {
            py::gil_scoped_release nogil;
            for (py::ssize_t i = 0; i < n; i++)
                df_lpcnet_frame(model_.get(), k_, st_.get(), f + i * DF_LPCNET_FEATURES, o + i * DF_LPCNET_FRAME);
        }
        return out;
    }

    void prime(const f32array &pcm, const f32array &features)
    {
        const int npcm = check_history(pcm, features);
        py::gil_scoped_release nogil;
        df_lpcnet_prime(model_.get(), k_, st_.get(), pcm.data(), npcm, features.data(),
                        static_cast<int>(features.shape(0)));
    }

    f32array teacher_forced(const f32array &pcm, const f32array &features)
    {
        const int npcm = check_history(pcm, features);
        f32array out(static_cast<py::ssize_t>(npcm) * DF_LPCNET_FRAME);
        float *o = out.mutable_data();
        {
            py::gil_scoped_release nogil;
            df_lpcnet_teacher_forced(model_.get(), k_, st_.get(), pcm.data(), npcm, features.data(),
                                     static_cast<int>(features.shape(0)), o);
        }
        return out;
    }

    // Test hooks: the stream's conditioning and recurrent state.
    py::tuple state() const
    {
        const df_lpcnet_state &s = *st_;
        return py::make_tuple(vec(s.cond_a, 3 * DF_LPCNET_GRU_A), vec(s.cond_b, 3 * DF_LPCNET_GRU_B),
                              vec(s.old_lpc[0], DF_LPCNET_ORDER), vec(s.gru_a, DF_LPCNET_GRU_A),
                              vec(s.gru_b, DF_LPCNET_GRU_B), s.frame_count);
    }

private:
    static f32array vec(const float *p, py::ssize_t n)
    {
        f32array a(n);
        std::copy(p, p + n, a.mutable_data());
        return a;
    }
    static void check_features(const f32array &features)
    {
        if (features.ndim() != 2 || features.shape(1) != DF_LPCNET_FEATURES)
            throw py::value_error("features must be (n, 20) in LPCNet's convention");
    }
    static int check_history(const f32array &pcm, const f32array &features)
    {
        check_features(features);
        if (pcm.ndim() != 1 || pcm.shape(0) % DF_LPCNET_FRAME != 0)
            throw py::value_error("pcm must be 1-D, whole 160-sample frames");
        const py::ssize_t npcm = pcm.shape(0) / DF_LPCNET_FRAME;
        if (npcm > features.shape(0)) throw py::value_error("need a feature frame for every audio frame");
        if (features.shape(0) > (1 << 24)) throw py::value_error("history too long");
        return static_cast<int>(npcm);
    }

    std::unique_ptr<df_lpcnet_model> model_;
    std::unique_ptr<df_lpcnet_state> st_;
    const df_kernels *k_ = nullptr;
};

}  // namespace

void dfbind::bind_lpcnet(py::module_ &m)
{
    py::class_<Lpcnet>(m, "Lpcnet")
        .def(py::init<const Blob &, int, uint64_t>(), py::arg("blob"), py::arg("isa"), py::arg("seed"),
             py::keep_alive<1, 2>())
        .def("reset", &Lpcnet::reset, py::arg("seed"))
        .def_property_readonly("isa", &Lpcnet::isa)
        .def("synthesize", &Lpcnet::synthesize)
        .def("prime", &Lpcnet::prime)
        .def("teacher_forced", &Lpcnet::teacher_forced)
        .def("state", &Lpcnet::state);

    // Test hook: n draws from one logit vector (level counts) and the
    // sampler's probabilities.
    m.def("lpcnet_test_sampler", [](const f32array &logits, float boost, uint64_t seed, int64_t n, int isa) {
        const df_kernels *k = kernels_for(isa);
        if (logits.ndim() != 1 || logits.shape(0) != DF_LPCNET_LEVELS) throw py::value_error("need 256 logits");
        if (n < 0 || n > (int64_t)1 << 32) throw py::value_error("bad draw count");
        py::array_t<int64_t> counts(DF_LPCNET_LEVELS);
        f32array probs(DF_LPCNET_LEVELS);
        int64_t *c = counts.mutable_data();
        std::fill(c, c + DF_LPCNET_LEVELS, 0);
        df_rng rng;
        df_rng_seed(&rng, seed);
        {
            py::gil_scoped_release nogil;
            df_lpcnet_sample(k, logits.data(), boost, 0.002f, &rng, probs.mutable_data());
            for (int64_t i = 0; i < n; i++) c[df_lpcnet_sample(k, logits.data(), boost, 0.002f, &rng, nullptr)]++;
        }
        return py::make_tuple(counts, probs);
    });
}
