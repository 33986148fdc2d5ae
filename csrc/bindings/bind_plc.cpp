// Deep PLC (dredfast._core.PlcModel / DeepPlc) plus test hooks for its
// parts.  Shapes are checked here again (the Python layer checks them first,
// with friendlier messages): the C core trusts the lengths it is given.
#include <algorithm>
#include <cstring>
#include <memory>

#include "common.hpp"
#include "../analysis/burg.h"
#include "../receiver/deep_plc.h"

namespace {

using namespace dfbind;
using i16array = py::array_t<int16_t, py::array::c_style | py::array::forcecast>;

// The read-only networks and tables; any number of streams share one.
class PlcModel {
public:
    PlcModel(const Blob &blob, int isa) : m_(new df_deep_plc_model)
    {
        char err[512] = {0};
        if (df_deep_plc_model_init(m_.get(), blob.get(), err, sizeof err)) throw py::value_error(err);
        k_ = kernels_for(isa);
    }
    const df_deep_plc_model *get() const { return m_.get(); }
    const df_kernels *kernels() const { return k_; }
    const char *isa() const { return k_->name; }

    // Test hook: n steps of the PLC network from a zero state.
    f32array predict(const f32array &in) const
    {
        if (in.ndim() != 2 || in.shape(1) != DF_PLC_INPUTS) throw py::value_error("inputs must be (n, 57)");
        const py::ssize_t n = in.shape(0);
        f32array out({n, static_cast<py::ssize_t>(DF_PLC_FEATURES)});
        float *o = out.mutable_data();
        const float *x = in.data();
        {
            py::gil_scoped_release nogil;
            df_plc_net net{};
            for (py::ssize_t i = 0; i < n; i++)
                df_plc_predict(&m_->plc, k_, &net, x + i * DF_PLC_INPUTS, o + i * DF_PLC_FEATURES);
        }
        return out;
    }
    // Test hook: Burg cepstrum of each 160-sample frame.
    f32array burg(const f32array &pcm) const
    {
        if (pcm.ndim() != 1 || pcm.shape(0) % DF_BURG_FRAME) throw py::value_error("pcm must be 1-D, whole 160-sample frames");
        const py::ssize_t n = pcm.shape(0) / DF_BURG_FRAME;
        f32array out({n, static_cast<py::ssize_t>(DF_BURG_OUT)});
        float *o = out.mutable_data();
        const float *x = pcm.data();
        {
            py::gil_scoped_release nogil;
            for (py::ssize_t i = 0; i < n; i++) df_burg_cepstrum(&m_->burg, k_, x + i * DF_BURG_FRAME, o + i * DF_BURG_OUT);
        }
        return out;
    }

private:
    std::unique_ptr<df_deep_plc_model> m_;
    const df_kernels *k_ = nullptr;
};

// One stream's deep-PLC state.
class DeepPlc {
public:
    explicit DeepPlc(std::shared_ptr<const PlcModel> model) : model_(std::move(model)), st_(new df_deep_plc_state)
    {
        df_deep_plc_init(st_.get());
    }
    void reset(bool full)
    {
        if (full)
            df_deep_plc_init(st_.get());
        else
            df_deep_plc_reset(st_.get());
    }
    void update(const i16array &pcm)
    {
        if (pcm.ndim() != 1 || pcm.shape(0) % DF_DPLC_FRAME) throw py::value_error("pcm must be 1-D, whole 160-sample frames");
        const py::ssize_t n = pcm.shape(0) / DF_DPLC_FRAME;
        const int16_t *p = pcm.data();
        py::gil_scoped_release nogil;
        for (py::ssize_t i = 0; i < n; i++) df_deep_plc_update(st_.get(), p + i * DF_DPLC_FRAME);
    }
    // n concealed frames, and the features each was synthesised from.
    py::tuple conceal(int n)
    {
        if (n < 0 || n > (1 << 20)) throw py::value_error("bad frame count");
        i16array out(static_cast<py::ssize_t>(n) * DF_DPLC_FRAME);
        f32array feats({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(DF_DPLC_FEATURES)});
        int16_t *o = out.mutable_data();
        float *f = feats.mutable_data();
        {
            py::gil_scoped_release nogil;
            for (int i = 0; i < n; i++) {
                df_deep_plc_conceal(model_->get(), model_->kernels(), st_.get(), o + i * DF_DPLC_FRAME);
                std::copy(st_->features, st_->features + DF_DPLC_FEATURES, f + i * DF_DPLC_FEATURES);
            }
        }
        return py::make_tuple(out, feats);
    }
    // The next n x 10 ms the concealment would produce, without changing the stream:
    // runs on a scratch copy of the state (the receiver fades from it back into
    // decoded audio, which the system decoder produced without our history).
    i16array peek(int n)
    {
        if (n < 1 || n > 8) throw py::value_error("peek 1..8 frames");
        if (!scratch_) scratch_.reset(new df_deep_plc_state);
        i16array out(static_cast<py::ssize_t>(n) * DF_DPLC_FRAME);
        int16_t *o = out.mutable_data();
        {
            py::gil_scoped_release nogil;
            std::memcpy(scratch_.get(), st_.get(), sizeof(df_deep_plc_state));
            for (int i = 0; i < n; i++)
                df_deep_plc_conceal(model_->get(), model_->kernels(), scratch_.get(), o + i * DF_DPLC_FRAME);
        }
        return out;
    }
    void fec_clear() { df_deep_plc_fec_clear(st_.get()); }
    void fec_add(const f32array &features)
    {
        if (features.ndim() != 2 || features.shape(1) != DF_DPLC_FEATURES) throw py::value_error("features must be (n, 20)");
        const py::ssize_t n = features.shape(0);
        if (n > DF_DPLC_MAX_FEC - st_->fec_fill_pos) throw py::value_error("DRED feature queue full (104 frames)");
        for (py::ssize_t i = 0; i < n; i++) df_deep_plc_fec_add(st_.get(), features.data() + i * DF_DPLC_FEATURES);
    }
    void fec_skip(int n)
    {
        if (n < 0 || n > DF_DPLC_MAX_FEC - st_->fec_skip) throw py::value_error("bad skip count");
        for (int i = 0; i < n; i++) df_deep_plc_fec_add(st_.get(), nullptr);
    }
    bool blend() const { return st_->blend != 0; }
    int loss_count() const { return st_->loss_count; }
    py::dict state() const
    {
        const df_deep_plc_state &s = *st_;
        py::dict d;
        d["blend"] = s.blend;
        d["loss_count"] = s.loss_count;
        d["analysis_gap"] = s.analysis_gap;
        d["analysis_pos"] = s.analysis_pos;
        d["predict_pos"] = s.predict_pos;
        d["fec_read_pos"] = s.fec_read_pos;
        d["fec_fill_pos"] = s.fec_fill_pos;
        d["fec_skip"] = s.fec_skip;
        return d;
    }

private:
    std::shared_ptr<const PlcModel> model_;
    std::unique_ptr<df_deep_plc_state> st_;
    std::unique_ptr<df_deep_plc_state> scratch_;  // for peek(), allocated on first use
};

}  // namespace

void dfbind::bind_plc(py::module_ &m)
{
    py::class_<PlcModel, std::shared_ptr<PlcModel>>(m, "PlcModel")
        .def(py::init<const Blob &, int>(), py::arg("blob"), py::arg("isa"), py::keep_alive<1, 2>())
        .def_property_readonly("isa", &PlcModel::isa)
        .def("predict", &PlcModel::predict)
        .def("burg", &PlcModel::burg);

    py::class_<DeepPlc>(m, "DeepPlc")
        .def(py::init([](std::shared_ptr<PlcModel> model) { return new DeepPlc(std::move(model)); }),
             py::arg("model"), py::keep_alive<1, 2>())
        .def("reset", &DeepPlc::reset, py::arg("full"))
        .def("update", &DeepPlc::update)
        .def("conceal", &DeepPlc::conceal, py::arg("n"))
        .def("peek", &DeepPlc::peek, py::arg("n"))
        .def("fec_clear", &DeepPlc::fec_clear)
        .def("fec_add", &DeepPlc::fec_add)
        .def("fec_skip", &DeepPlc::fec_skip)
        .def_property_readonly("blend", &DeepPlc::blend)
        .def_property_readonly("loss_count", &DeepPlc::loss_count)
        .def("state", &DeepPlc::state);
}
