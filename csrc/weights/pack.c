/* Derived layouts of a blob's int8 records (pack.h). */
#include "pack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nnet/kernels.h"
#include "../nnet/pairs.h"
#include "../nnet/x16.h"

#define SUFFIX "_weights_int8"

/* The dense layer shape a <prefix>_weights_int8 record stands for, from its
 * <prefix>_scale record; 0 if there is none or it is sparse. */
static int layer_shape(const df_blob *blob, const df_record *r, int *nb_inputs, int *nb_outputs)
{
    char name[2 * DF_BLOB_NAME_MAX];
    const size_t n = strlen(r->name), ns = strlen(SUFFIX);
    const df_record *scale;
    if (r->type != DF_TYPE_INT8 || n <= ns || strcmp(r->name + n - ns, SUFFIX) != 0) return 0;
    snprintf(name, sizeof(name), "%.*s_weights_idx", (int)(n - ns), r->name);
    if (df_blob_find(blob, name)) return 0;
    snprintf(name, sizeof(name), "%.*s_scale", (int)(n - ns), r->name);
    scale = df_blob_find(blob, name);
    if (!scale || scale->type != DF_TYPE_FLOAT || scale->size < 4) return 0;
    *nb_outputs = scale->size / 4;
    if (r->size % *nb_outputs) return 0;
    *nb_inputs = r->size / *nb_outputs;
    return 1;
}

void *df_pack_records(const df_blob *blob, df_record *records, int count)
{
#ifdef DF_HAVE_X86
    size_t total = 0, off = 0;
    uint8_t *arena;
    int nin, nout;
    /* Each layout only for a kernel this CPU can run (AVX-512 CPUs can be
     * asked for the AVX2 path too: both). */
    const int avx2 = df_isa_supported(DF_ISA_AVX2), avx512 = df_isa_supported(DF_ISA_AVX512);
    if (!avx2 && !avx512) return NULL;
    for (int i = 0; i < count; i++)
        if (layer_shape(blob, &records[i], &nin, &nout))
            total += (avx2 ? df_pairs_bytes(nin, nout) : 0) + (avx512 ? df_x16_bytes(nin, nout) : 0);
    if (!total) return NULL;
    arena = (uint8_t *)aligned_alloc(64, total);
    if (!arena) return NULL;
    /* One kernel's layouts side by side, in the blob's order (which is the
     * order a model runs its layers): a path then streams one contiguous
     * range, not every other layer of one.  The deep PLC's layers (1.2 MB)
     * do not all fit in a 1 MB L2, so each frame streams part of them from
     * L3; on an AVX-512 CPU running the AVX2 path the interleaved arena
     * cost 2-4 % at the median (A/B, 26 alternating runs in two series). */
    for (int i = 0; i < count; i++)
        if (avx2 && layer_shape(blob, &records[i], &nin, &nout) && df_pairs_bytes(nin, nout)) {
            records[i].pairs = df_pairs_build(arena + off, (const int8_t *)records[i].data, nin, nout);
            off += df_pairs_bytes(nin, nout);
        }
    for (int i = 0; i < count; i++)
        if (avx512 && layer_shape(blob, &records[i], &nin, &nout) && df_x16_bytes(nin, nout)) {
            records[i].x16 = df_x16_build(arena + off, (const int8_t *)records[i].data, nin, nout);
            off += df_x16_bytes(nin, nout);
        }
    return arena;
#else
    (void)blob, (void)records, (void)count;
    return NULL;
#endif
}
