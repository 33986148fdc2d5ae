// Shared pieces of the pybind11 layer: the Blob wrapper every model binds
// from, NumPy/bytes helpers and the kernel-table lookup.  Each bind_*.cpp
// registers its classes through one bind_<part>(module) function declared
// here, so models can be bound in their own small files.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string_view>

#include "../nnet/nnet.h"
#include "../weights/blob.h"

namespace py = pybind11;

namespace dfbind {

using f32array = py::array_t<float, py::array::c_style | py::array::forcecast>;

inline std::string_view as_view(const py::bytes &b)
{
    char *p = nullptr;
    Py_ssize_t n = 0;
    PyBytes_AsStringAndSize(b.ptr(), &p, &n);
    return {p, static_cast<size_t>(n)};
}

// The kernel table of an ISA number from Python (-1 = best available).
inline const df_kernels *kernels_for(int isa)
{
    const df_kernels *k = df_kernels_get(static_cast<df_isa>(isa < 0 ? df_isa_best() : isa));
    if (!k) throw py::value_error("instruction set not available");
    return k;
}

struct BlobDeleter {
    void operator()(df_blob *b) const { df_blob_free(b); }
};

// A parsed, validated weight blob (read-only, shared by every model bound to it).
class Blob {
public:
    explicit Blob(const py::bytes &data)
    {
        auto v = as_view(data);
        char err[512] = {0};
        df_blob *b;
        {
            py::gil_scoped_release nogil;
            b = df_blob_parse(reinterpret_cast<const uint8_t *>(v.data()), v.size(), err, sizeof err);
        }
        if (!b) throw py::value_error(err);
        blob_.reset(b);
    }
    const df_blob *get() const { return blob_.get(); }
    size_t nbytes() const { return df_blob_nbytes(blob_.get()); }
    py::list records() const
    {
        py::list out;
        for (int i = 0; i < df_blob_count(blob_.get()); i++) {
            const df_record *r = df_blob_record(blob_.get(), i);
            out.append(py::make_tuple(std::string(r->name), std::string(df_type_name(r->type)),
                                      r->size / df_type_size(r->type)));
        }
        return out;
    }
    bool has(const std::string &name) const { return df_blob_find(blob_.get(), name.c_str()) != nullptr; }

private:
    std::unique_ptr<df_blob, BlobDeleter> blob_;
};

// Registration functions of the other binding files (called from module.cpp).
// Add one line per new bind_<part>.cpp.
void bind_dred_encoder(py::module_ &m);
void bind_lpcnet(py::module_ &m);
void bind_plc(py::module_ &m);
void bind_receiver(py::module_ &m);

}  // namespace dfbind
