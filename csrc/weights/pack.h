/* Layouts derived from a blob's records for the kernels of this CPU, built
 * once when the blob is loaded and owned by it: for every dense int8 layer,
 * the AVX2 pair-sum layout (nnet/pairs.h) on CPUs with AVX2 and the AVX-512
 * interleaved layout (nnet/x16.h) on CPUs with AVX-512 VNNI. */
#ifndef DREDFAST_PACK_H
#define DREDFAST_PACK_H

#include "blob.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fills records[i].pairs where a layout applies; returns the one allocation
 * holding them (for free()), or NULL if none was built.  Shapes come from the
 * blob's own records (<prefix>_weights_int8 with <prefix>_scale and no
 * <prefix>_weights_idx); binding checks them against the model's again.
 * Running out of memory only leaves the layouts out. */
void *df_pack_records(const df_blob *blob, df_record *records, int count);

#ifdef __cplusplus
}
#endif

#endif
