/* DNNw blob parser: every field is checked before it is trusted. */
#include "blob.h"

#include "pack.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_BYTES 64
#define BLOCK 64

struct df_blob {
    uint8_t *bytes;   /* aligned copy of the blob */
    size_t nbytes;
    df_record *records;
    const df_record **by_name; /* records sorted by name: duplicate check and lookup in log time */
    int count;
    void *packed; /* layouts derived from the records for the kernels (pack.h) */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int df_type_size(int type)
{
    switch (type) {
    case DF_TYPE_FLOAT:
    case DF_TYPE_INT32:
        return 4;
    case DF_TYPE_QWEIGHT:
    case DF_TYPE_INT8:
    case DF_TYPE_UINT8:
        return 1;
    default:
        return 0;
    }
}

const char *df_type_name(int type)
{
    switch (type) {
    case DF_TYPE_FLOAT: return "float32";
    case DF_TYPE_INT32: return "int32";
    case DF_TYPE_QWEIGHT: return "qweight";
    case DF_TYPE_INT8: return "int8";
    case DF_TYPE_UINT8: return "uint8";
    default: return "unknown";
    }
}

/* Copies a header name after checking it is NUL-terminated, non-empty and
 * NUL-filled (as libopus's writer produces), printable ASCII only. */
static int read_name(const uint8_t *field, char *name)
{
    int i, n = -1;
    for (i = 0; i < DF_BLOB_NAME_MAX; i++) {
        if (field[i] == 0) { n = i; break; }
        if (field[i] < 0x21 || field[i] > 0x7e) return -1;
    }
    if (n <= 0) return -1;
    for (i = n; i < DF_BLOB_NAME_MAX; i++)
        if (field[i] != 0) return -1;
    memcpy(name, field, (size_t)n + 1);
    return 0;
}

/* Checks one record header at offset off; fills rec (data left NULL) and
 * the total record length. */
static int check_record(const uint8_t *data, size_t len, size_t off, int index,
                        df_record *rec, size_t *rec_len, char *err, size_t errlen)
{
    const uint8_t *h = data + off;
    uint32_t version, type, size, block;
    size_t i;
    char shown[DF_BLOB_NAME_MAX + 1];

    if (len - off < HEADER_BYTES) {
        set_err(err, errlen, "weight blob truncated: record %d at byte %zu has only %zu of its 64 header bytes",
                index, off, len - off);
        return -1;
    }
    memcpy(shown, h + 20, DF_BLOB_NAME_MAX);
    shown[DF_BLOB_NAME_MAX] = 0;
    for (i = 0; shown[i]; i++)
        if (shown[i] < 0x20 || shown[i] > 0x7e) shown[i] = '?';
    if (memcmp(h, "DNNw", 4) != 0) {
        set_err(err, errlen, "not a DNNw weight blob: record %d at byte %zu does not start with 'DNNw'", index, off);
        return -1;
    }
    if (read_name(h + 20, rec->name) != 0) {
        set_err(err, errlen, "weight blob record %d at byte %zu has an invalid name field ('%s')", index, off, shown);
        return -1;
    }
    version = rd32(h + 4);
    type = rd32(h + 8);
    size = rd32(h + 12);
    block = rd32(h + 16);
    if (version != 0) {
        set_err(err, errlen, "weight record '%s': unsupported version %u (expected 0)", rec->name, version);
        return -1;
    }
    if (df_type_size((int)type) == 0 || type > 4) {
        set_err(err, errlen, "weight record '%s': unknown type code %u", rec->name, type);
        return -1;
    }
    if (size > (uint32_t)INT32_MAX - BLOCK || size % (uint32_t)df_type_size((int)type) != 0) {
        set_err(err, errlen, "weight record '%s': size %u is not a valid %s array size", rec->name, size,
                df_type_name((int)type));
        return -1;
    }
    if (block != (size + BLOCK - 1) / BLOCK * BLOCK) {
        set_err(err, errlen, "weight record '%s': block size %u does not match size %u rounded up to 64",
                rec->name, block, size);
        return -1;
    }
    if ((size_t)block > len - off - HEADER_BYTES) {
        set_err(err, errlen, "weight blob truncated inside record '%s': needs %u payload bytes, %zu left",
                rec->name, block, len - off - HEADER_BYTES);
        return -1;
    }
    for (i = size; i < block; i++) {
        if (h[HEADER_BYTES + i] != 0) {
            set_err(err, errlen, "weight record '%s': non-zero padding byte at payload offset %zu", rec->name, i);
            return -1;
        }
    }
    rec->type = (int)type;
    rec->size = (int32_t)size;
    rec->data = NULL;
    *rec_len = HEADER_BYTES + (size_t)block;
    return 0;
}

static int cmp_record_ptr(const void *a, const void *b)
{
    return strcmp((*(const df_record *const *)a)->name, (*(const df_record *const *)b)->name);
}

static int cmp_name_record(const void *key, const void *elem)
{
    return strcmp((const char *)key, (*(const df_record *const *)elem)->name);
}

/* A float record that is not finite, or far beyond anything a trained
 * network holds, loads but makes every model built on it return NaN or
 * noise; refuse it here where the message can name the record. */
static int check_floats(const df_record *r, char *err, size_t errlen)
{
    const float *x = (const float *)r->data;
    const int32_t n = r->size / 4;
    int32_t i;
    for (i = 0; i < n; i++) {
        if (!(fabsf(x[i]) <= DF_BLOB_MAX_ABS_FLOAT)) { /* also catches NaN */
            set_err(err, errlen, "weight record '%s': element %d is %g (weights must be finite and within +-%g)",
                    r->name, (int)i, (double)x[i], (double)DF_BLOB_MAX_ABS_FLOAT);
            return -1;
        }
    }
    return 0;
}

df_blob *df_blob_parse(const uint8_t *data, size_t len, char *err, size_t errlen)
{
    df_blob *blob = NULL;
    size_t off = 0, rec_len = 0, alloc;
    int count = 0, i;
    df_record probe;

    if (!data || len == 0) {
        set_err(err, errlen, "empty weight blob");
        return NULL;
    }
    /* Pass 1: validate and count.  Every record is at least 64 bytes, so
     * this pass is linear in the blob; the count bound keeps the tables
     * below small whatever the file claims. */
    while (off < len) {
        if (count >= DF_BLOB_MAX_RECORDS) {
            set_err(err, errlen, "weight blob has more than %d records (a real model has a few hundred)",
                    DF_BLOB_MAX_RECORDS);
            return NULL;
        }
        if (check_record(data, len, off, count, &probe, &rec_len, err, errlen) != 0)
            return NULL;
        off += rec_len;
        count++;
    }
    blob = (df_blob *)calloc(1, sizeof(*blob));
    if (!blob) goto oom;
    blob->records = (df_record *)calloc((size_t)count, sizeof(df_record));
    blob->by_name = (const df_record **)calloc((size_t)count, sizeof(*blob->by_name));
    alloc = (len + BLOCK - 1) / BLOCK * BLOCK;
    blob->bytes = (uint8_t *)aligned_alloc(BLOCK, alloc);
    if (!blob->records || !blob->by_name || !blob->bytes) goto oom;
    memcpy(blob->bytes, data, len);
    blob->nbytes = len;
    /* Pass 2: fill the table from the private copy. */
    off = 0;
    for (i = 0; i < count; i++) {
        check_record(blob->bytes, len, off, i, &blob->records[i], &rec_len, NULL, 0);
        blob->records[i].data = blob->bytes + off + HEADER_BYTES;
        blob->by_name[i] = &blob->records[i];
        off += rec_len;
        if (blob->records[i].type == DF_TYPE_FLOAT && check_floats(&blob->records[i], err, errlen) != 0) {
            df_blob_free(blob);
            return NULL;
        }
    }
    blob->count = count;
    /* Names are how layers are found: two records with one name would make
     * the binding ambiguous.  Sorting makes the check n log n (a pairwise
     * check took > 40 s on 100 k records) and gives df_blob_find a binary
     * search. */
    qsort(blob->by_name, (size_t)count, sizeof(*blob->by_name), cmp_record_ptr);
    for (i = 1; i < count; i++) {
        if (strcmp(blob->by_name[i]->name, blob->by_name[i - 1]->name) == 0) {
            set_err(err, errlen, "weight blob has two records named '%s'", blob->by_name[i]->name);
            df_blob_free(blob);
            return NULL;
        }
    }
    blob->packed = df_pack_records(blob, blob->records, count);
    return blob;
oom:
    set_err(err, errlen, "out of memory loading a %zu-byte weight blob", len);
    df_blob_free(blob);
    return NULL;
}

void df_blob_free(df_blob *blob)
{
    if (!blob) return;
    free(blob->bytes);
    free(blob->packed);
    free(blob->records);
    free(blob->by_name);
    free(blob);
}

int df_blob_count(const df_blob *blob) { return blob->count; }

const df_record *df_blob_record(const df_blob *blob, int i)
{
    return (i >= 0 && i < blob->count) ? &blob->records[i] : NULL;
}

size_t df_blob_nbytes(const df_blob *blob) { return blob->nbytes; }

const df_record *df_blob_find(const df_blob *blob, const char *name)
{
    const df_record *const *hit;
    if (blob->count == 0) return NULL;
    hit = (const df_record *const *)bsearch(name, blob->by_name, (size_t)blob->count, sizeof(*blob->by_name),
                                            cmp_name_record);
    return hit ? *hit : NULL;
}
