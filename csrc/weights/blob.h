/* Opus "DNNw" weight blobs: a sequence of 64-byte-header records, each
 * payload zero-padded to a multiple of 64 bytes (format documented in
 * weights/MANIFEST.md and libopus's dnn/parse_lpcnet_weights.c).
 *
 * df_blob_parse validates everything before anything is used: magic,
 * version, type code, sizes, block padding, names, duplicates, the total
 * length, the record count and that every float is finite and plausible.
 * The blob keeps its own 64-byte aligned copy of the bytes; records point
 * into it and stay valid until df_blob_free.  A parsed blob is only
 * read afterwards, so any number of models and threads may share it. */
#ifndef DREDFAST_BLOB_H
#define DREDFAST_BLOB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DF_BLOB_NAME_MAX 44
/* Loading limits.  The packaged blobs have 351 and 36 records and no float
 * beyond 139 in magnitude: a blob past these is corrupt or hostile. */
#define DF_BLOB_MAX_RECORDS 4096
#define DF_BLOB_MAX_ABS_FLOAT 1e4f

enum {
    DF_TYPE_FLOAT = 0,
    DF_TYPE_INT32 = 1,
    DF_TYPE_QWEIGHT = 2,
    DF_TYPE_INT8 = 3,
    DF_TYPE_UINT8 = 4 /* dredfast addition, used by the DRED statistics tables */
};

typedef struct {
    char name[DF_BLOB_NAME_MAX];
    int type;
    int32_t size;       /* payload bytes */
    const void *data;   /* 64-byte aligned */
    /* int8 weights of a dense layer: the AVX2 pair-sum layout built at load
     * (pack.h), or NULL */
    const struct df_pairs *pairs;
    /* the same, AVX-512's interleaved layout (pack.h), or NULL */
    const struct df_x16 *x16;
} df_record;

typedef struct df_blob df_blob;

/* Returns NULL and writes a message naming the offending record into err
 * (always NUL-terminated) when the data is not a valid blob. */
df_blob *df_blob_parse(const uint8_t *data, size_t len, char *err, size_t errlen);
void df_blob_free(df_blob *blob);

int df_blob_count(const df_blob *blob);
const df_record *df_blob_record(const df_blob *blob, int i);
const df_record *df_blob_find(const df_blob *blob, const char *name);
size_t df_blob_nbytes(const df_blob *blob);

/* Element size of a type code, 0 if unknown. */
int df_type_size(int type);
const char *df_type_name(int type);

#ifdef __cplusplus
}
#endif

#endif
