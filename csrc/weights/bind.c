#include "bind.h"

#include "../nnet/pairs.h"
#include "../nnet/x16.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0) return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const df_record *find_suffixed(const df_blob *blob, const char *prefix, const char *suffix,
                                      char *name, size_t namelen)
{
    snprintf(name, namelen, "%s%s", prefix, suffix);
    return df_blob_find(blob, name);
}

int df_bind_array(const df_blob *blob, const char *name, int type, int count,
                  const void **out, char *err, size_t errlen)
{
    const df_record *r = df_blob_find(blob, name);
    if (!r) {
        set_err(err, errlen, "weight record '%s' not found (is this the right model's blob?)", name);
        return -1;
    }
    if (r->type != type) {
        set_err(err, errlen, "weight record '%s' has type %s, expected %s", name, df_type_name(r->type),
                df_type_name(type));
        return -1;
    }
    if ((long long)r->size != (long long)count * df_type_size(type)) {
        set_err(err, errlen, "weight record '%s' has %d elements, expected %d", name,
                (int)(r->size / df_type_size(type)), count);
        return -1;
    }
    *out = r->data;
    return 0;
}

/* Walks an 8x4 block-sparse index: per group of 8 outputs, a block count
 * then that many input offsets.  Every offset must address 4 whole inputs,
 * and the record must be consumed exactly.  Returns the block count. */
static long check_sparse_index(const df_record *r, int nb_inputs, int nb_outputs, char *err, size_t errlen)
{
    const int32_t *idx = (const int32_t *)r->data;
    const long n = r->size / 4;
    long pos = 0, blocks = 0;
    int g, b;
    for (g = 0; g < nb_outputs / 8; g++) {
        int32_t nb;
        if (pos >= n) {
            set_err(err, errlen, "weight record '%s' ends before output group %d", r->name, g);
            return -1;
        }
        nb = idx[pos++];
        if (nb < 0 || nb > nb_inputs / 4 || nb > n - pos) {
            set_err(err, errlen, "weight record '%s': output group %d has an invalid block count %d", r->name, g,
                    (int)nb);
            return -1;
        }
        for (b = 0; b < nb; b++) {
            int32_t off = idx[pos++];
            if (off < 0 || off % 4 != 0 || off > nb_inputs - 4) {
                set_err(err, errlen, "weight record '%s': block offset %d out of range for %d inputs", r->name,
                        (int)off, nb_inputs);
                return -1;
            }
        }
        blocks += nb;
    }
    if (pos != n) {
        set_err(err, errlen, "weight record '%s' has %ld trailing entries", r->name, n - pos);
        return -1;
    }
    return blocks;
}

static int bind_linear(const df_blob *blob, const char *prefix, int nb_inputs, int nb_outputs, int has_bias,
                       df_linear *out, char *err, size_t errlen);

int df_bind_linear(const df_blob *blob, const char *prefix, int nb_inputs, int nb_outputs,
                   df_linear *out, char *err, size_t errlen)
{
    return bind_linear(blob, prefix, nb_inputs, nb_outputs, 1, out, err, errlen);
}

int df_bind_linear_nobias(const df_blob *blob, const char *prefix, int nb_inputs, int nb_outputs,
                          df_linear *out, char *err, size_t errlen)
{
    return bind_linear(blob, prefix, nb_inputs, nb_outputs, 0, out, err, errlen);
}

static int bind_linear(const df_blob *blob, const char *prefix, int nb_inputs, int nb_outputs, int has_bias,
                       df_linear *out, char *err, size_t errlen)
{
    char name[2 * DF_BLOB_NAME_MAX];
    const df_record *w8, *wf, *idx;
    const void *p;
    long blocks = -1;

    memset(out, 0, sizeof(*out));
    if (nb_inputs <= 0 || nb_outputs <= 0 || nb_inputs > DF_MAX_INPUTS || nb_outputs > 4 * DF_MAX_INPUTS) {
        set_err(err, errlen, "layer '%s': unsupported shape %d x %d", prefix, nb_inputs, nb_outputs);
        return -1;
    }
    out->nb_inputs = nb_inputs;
    out->nb_outputs = nb_outputs;
    snprintf(name, sizeof(name), "%s_bias", prefix);
    if (has_bias) {
        if (df_bind_array(blob, name, DF_TYPE_FLOAT, nb_outputs, &p, err, errlen)) return -1;
        out->bias = (const float *)p;
    } else if (df_blob_find(blob, name)) {
        set_err(err, errlen, "weight record '%s' is not expected: this layer has no bias", name);
        return -1;
    }

    if (find_suffixed(blob, prefix, "_diag", name, sizeof(name))) {
        set_err(err, errlen, "weight record '%s': diagonal GRU weights are not used by this model", name);
        return -1;
    }
    w8 = find_suffixed(blob, prefix, "_weights_int8", name, sizeof(name));
    wf = find_suffixed(blob, prefix, "_weights_float", name, sizeof(name));
    idx = find_suffixed(blob, prefix, "_weights_idx", name, sizeof(name));
    if (!w8 && !wf) {
        set_err(err, errlen, "weight records '%s_weights_int8' and '%s_weights_float' not found "
                "(is this the right model's blob?)", prefix, prefix);
        return -1;
    }
    /* int8 and sparse kernels work on whole 8-output / 4-input blocks. */
    if ((w8 || idx) && (nb_outputs % 8 != 0 || nb_inputs % 4 != 0)) {
        set_err(err, errlen, "layer '%s': shape %d x %d is not made of 8x4 blocks", prefix, nb_inputs, nb_outputs);
        return -1;
    }
    if (idx) {
        if (idx->type != DF_TYPE_INT32) {
            set_err(err, errlen, "weight record '%s' has type %s, expected int32", idx->name, df_type_name(idx->type));
            return -1;
        }
        blocks = check_sparse_index(idx, nb_inputs, nb_outputs, err, errlen);
        if (blocks < 0) return -1;
        out->weights_idx = (const int32_t *)idx->data;
    }
    if (w8) {
        long expect = blocks >= 0 ? 32 * blocks : (long)nb_inputs * nb_outputs;
        if (w8->type != DF_TYPE_INT8 || w8->size != expect) {
            set_err(err, errlen, "weight record '%s' is %s[%d], expected int8[%ld] for a %d x %d layer", w8->name,
                    df_type_name(w8->type), (int)(w8->size / (df_type_size(w8->type) ? df_type_size(w8->type) : 1)),
                    expect, nb_inputs, nb_outputs);
            return -1;
        }
        out->weights = (const int8_t *)w8->data;
        if (!idx && w8->pairs && w8->pairs->nb_inputs == nb_inputs && w8->pairs->nb_outputs == nb_outputs)
            out->pairs = w8->pairs;
        if (!idx && w8->x16 && w8->x16->nb_inputs == nb_inputs && w8->x16->nb_outputs == nb_outputs)
            out->x16 = w8->x16;
        snprintf(name, sizeof(name), "%s_scale", prefix);
        if (df_bind_array(blob, name, DF_TYPE_FLOAT, nb_outputs, &p, err, errlen)) return -1;
        out->scale = (const float *)p;
        snprintf(name, sizeof(name), "%s_subias", prefix);
        if (df_bind_array(blob, name, DF_TYPE_FLOAT, nb_outputs, &p, err, errlen)) return -1;
        out->subias = (const float *)p;
    } else {
        long expect = blocks >= 0 ? 32 * blocks : (long)nb_inputs * nb_outputs;
        if (wf->type != DF_TYPE_FLOAT || wf->size != 4 * expect) {
            set_err(err, errlen, "weight record '%s' is %s[%d], expected float32[%ld] for a %d x %d layer",
                    wf->name, df_type_name(wf->type), (int)(wf->size / 4), expect, nb_inputs, nb_outputs);
            return -1;
        }
        out->float_weights = (const float *)wf->data;
    }
    return 0;
}
