// The C receiver (dredfast._core.ReceiverCore): one call per packet slot.
// Validation and documentation live in dredfast/receiver.py; here only the
// buffers are marshalled and the GIL released around the C call.
#include <cstring>
#include <string>
#include <vector>

#include <pybind11/stl.h>

#include "common.hpp"
#include "../receiver/receiver.h"

namespace {

using namespace dfbind;

struct DredDecoderDeleter {
    void operator()(df_dred_decoder *d) const { df_dred_decoder_destroy(d); }
};

// The read-only models a receiver runs (deep PLC, DRED decoder), bound once
// per weight blob and ISA and shared by every ReceiverCore built on them
// (binding them is most of a receiver's construction).
class ReceiverModels {
public:
    // model10/stats10: the libopus 1.5 (DRED version 10) decoder and tables,
    // or None to read version 12 only.
    ReceiverModels(const Blob &model, const Blob &stats, int isa, const Blob *model10, const Blob *stats10)
    {
        char err[512] = {0};
        if ((model10 == nullptr) != (stats10 == nullptr))
            throw py::value_error("the version-10 model and tables go together");
        k_ = kernels_for(isa);
        if (df_deep_plc_model_init(&plc_, model.get(), err, sizeof err)) throw py::value_error(err);
        const df_blob *models[2] = {model.get(), model10 ? model10->get() : nullptr};
        const df_blob *stat[2] = {stats.get(), stats10 ? stats10->get() : nullptr};
        static const int versions[2] = {12, 10};
        df_dred_decoder *d = df_dred_decoder_create_versions(models, stat, versions, model10 ? 2 : 1, isa, err,
                                                             sizeof err);
        if (!d) throw py::value_error(err);
        dred_.reset(d);
    }
    ReceiverModels(const ReceiverModels &) = delete;
    ReceiverModels &operator=(const ReceiverModels &) = delete;
    const df_deep_plc_model *plc() const { return &plc_; }
    const df_kernels *kernels() const { return k_; }
    const df_dred_decoder *dred() const { return dred_.get(); }

private:
    df_deep_plc_model plc_{};
    const df_kernels *k_ = nullptr;
    std::unique_ptr<df_dred_decoder, DredDecoderDeleter> dred_;
};

class ReceiverCore {
public:
    // like: None, or a ReceiverCore of the same configuration that has decoded
    // nothing (a template): its libopus states and filters are copied
    // (df_receiver_create); anything else is made afresh.
    ReceiverCore(const ReceiverModels &models, int sample_rate, int channels, int max_dred_ms, bool use_dred,
                 bool use_lbrr, bool shadow, std::vector<int> fades, const std::string &libopus, int steer_ahead,
                 const ReceiverCore *like)
    {
        char err[512] = {0};
        if (fades.size() != 4) throw py::value_error("fades must have 4 lengths");
        k_ = models.kernels();
        df_receiver_config cfg{};
        cfg.sample_rate = sample_rate;
        cfg.channels = channels;
        cfg.max_dred_ms = max_dred_ms;
        cfg.use_dred = use_dred;
        cfg.use_lbrr = use_lbrr;
        cfg.shadow = shadow;
        for (int i = 0; i < 4; i++) cfg.fade[i] = fades[i];
        cfg.steer_ahead = steer_ahead;
        rx_ = df_receiver_create(&cfg, models.plc(), k_, models.dred(), libopus.c_str(), like ? like->rx_ : nullptr,
                                 err, sizeof err);
        if (!rx_) throw py::value_error(err);
        channels_ = channels;
        out_.resize(static_cast<size_t>(DF_RX_MAX_FRAME) * channels);
    }
    ~ReceiverCore() { df_receiver_destroy(rx_); }
    ReceiverCore(const ReceiverCore &) = delete;
    ReceiverCore &operator=(const ReceiverCore &) = delete;

    // Audio float32 (n,) or (n, 2); how it was made is kept for last().
    // packet: bytes or None; ahead: a list or tuple of bytes / None (anything
    // else raises TypeError before the state is touched, and the Python
    // wrapper converts).  The packets go through member buffers that keep
    // their capacity, so a call allocates nothing but the returned array.
    // Calls on one object are serialised by the Python wrapper's lock.
    f32array decode(const py::handle packet, const py::handle ahead)
    {
        keep_.clear();
        ptr_.clear();
        len_.clear();
        const uint8_t *p = nullptr;
        int32_t plen = 0;
        if (!packet.is_none()) {
            if (!PyBytes_Check(packet.ptr())) throw py::type_error("packet must be bytes");
            p = reinterpret_cast<const uint8_t *>(PyBytes_AS_STRING(packet.ptr()));
            const Py_ssize_t n = PyBytes_GET_SIZE(packet.ptr());
            if (n > INT32_MAX) throw py::value_error("packet too large");
            plen = static_cast<int32_t>(n);
        }
        PyObject *seq = ahead.ptr();
        if (!PyList_Check(seq) && !PyTuple_Check(seq)) throw py::type_error("lookahead must be a list or tuple");
        const Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
        for (Py_ssize_t i = 0; i < count; i++) {
            PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
            if (item == Py_None) {
                ptr_.push_back(nullptr);
                len_.push_back(-1);
                continue;
            }
            if (!PyBytes_Check(item)) throw py::type_error("lookahead packets must be bytes");
            const Py_ssize_t n = PyBytes_GET_SIZE(item);
            if (n > INT32_MAX) throw py::value_error("packet too large");
            ptr_.push_back(reinterpret_cast<const uint8_t *>(PyBytes_AS_STRING(item)));
            len_.push_back(static_cast<int32_t>(n));
        }
        // A list may be changed by another thread while the GIL is released:
        // its bytes objects (immutable) are held here until the call returns.
        if (PyList_Check(seq))
            for (Py_ssize_t i = 0; i < count; i++) keep_.push_back(py::reinterpret_borrow<py::object>(PyList_GET_ITEM(seq, i)));
        int n;
        {
            py::gil_scoped_release nogil;
            n = df_receiver_decode(rx_, p, plen, ptr_.data(), len_.data(), static_cast<int>(ptr_.size()), out_.data(),
                                   &kind_, &bad_);
        }
        keep_.clear();  // with the GIL: drops the references
        f32array y = channels_ == 1 ? f32array(n) : f32array({n, channels_});
        std::memcpy(y.mutable_data(), out_.data(), sizeof(float) * static_cast<size_t>(n) * channels_);
        return y;
    }
    // (kind, bad) of the last decode: DF_RX_* (-1: none yet) and whether the packet was undecodable.
    py::tuple last() const { return py::make_tuple(kind_, bad_ != 0); }
    void reset()
    {
        df_receiver_reset(rx_);
        kind_ = -1;
        bad_ = 0;
    }
    py::dict stats() const
    {
        const df_receiver_stats *s = df_receiver_get_stats(rx_);
        py::dict d;
        d["normal"] = s->normal;
        d["lbrr"] = s->lbrr;
        d["dred"] = s->dred;
        d["plc"] = s->plc;
        d["bad_packets"] = s->bad_packets;
        d["dred_unknown_version"] = s->dred_unknown_version;
        return d;
    }
    std::string libopus_version() const { return df_receiver_libopus_version(rx_); }
    std::string isa() const { return k_->name; }

private:
    const df_kernels *k_ = nullptr;
    df_receiver *rx_ = nullptr;
    int channels_ = 1;
    std::vector<float> out_;
    std::vector<py::object> keep_;  // per call: a list's packets, alive while the GIL is released
    int kind_ = -1, bad_ = 0;  // kind -1: nothing decoded since construction / reset
    std::vector<const uint8_t *> ptr_;
    std::vector<int32_t> len_;
};

}  // namespace

void dfbind::bind_receiver(py::module_ &m)
{
    py::class_<ReceiverModels>(m, "ReceiverModels")
        .def(py::init<const Blob &, const Blob &, int, const Blob *, const Blob *>(), py::arg("model"),
             py::arg("stats"), py::arg("isa"), py::arg("model10") = py::none(), py::arg("stats10") = py::none(),
             py::keep_alive<1, 2>(), py::keep_alive<1, 3>(), py::keep_alive<1, 5>(), py::keep_alive<1, 6>());
    py::class_<ReceiverCore>(m, "ReceiverCore")
        .def(py::init<const ReceiverModels &, int, int, int, bool, bool, bool, std::vector<int>, const std::string &,
                      int, const ReceiverCore *>(),
             py::arg("models"), py::arg("sample_rate"), py::arg("channels"), py::arg("max_dred_ms"),
             py::arg("use_dred"), py::arg("use_lbrr"), py::arg("shadow"), py::arg("fades"), py::arg("libopus"),
             py::arg("steer_ahead") = 0, py::arg("like") = py::none(), py::keep_alive<1, 2>())
        .def("decode", &ReceiverCore::decode, py::arg("packet"), py::arg("ahead"))
        .def("last", &ReceiverCore::last)
        .def("reset", &ReceiverCore::reset)
        .def("stats", &ReceiverCore::stats)
        .def_property_readonly("libopus_version", &ReceiverCore::libopus_version)
        .def_property_readonly("isa", &ReceiverCore::isa);
}
