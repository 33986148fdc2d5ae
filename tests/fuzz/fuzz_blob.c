/* libFuzzer target: one DNNw weight blob.
 *
 * df_blob_parse must accept or reject without crashing; when it accepts, the
 * record table is checked (names unique and found by df_blob_find, types and
 * sizes consistent, every payload readable and 64-byte aligned).  Then
 * df_dred_decoder_create(blob, blob, ...) binds the RDO-VAE decoder and the
 * DRED quantiser tables from it; when that succeeds, one fixed real DRED
 * packet (26 latents, from tests/data/sample_v96.pkts) is parsed and run
 * through df_dred_decoder_features.  With hostile weights the values may be
 * anything (NaN, inf): only crashes, out-of-bounds accesses, UB and writes
 * past the 4*nb_latents feature rows are findings.  The decoded integers, and
 * then all-zero ones, are range-coded again with the blob's quantiser tables
 * (df_dred_encode_payload), so tables that make coding impossible show up as
 * a hang (libFuzzer's -timeout; run_short.sh sets it) — issue 12, finding 1.
 *
 * Mutation: libFuzzer's generic mutations mostly insert or erase bytes, which
 * breaks the 64-byte record layout, so few inputs would get past
 * df_blob_parse to the binder and the kernels.  A custom mutator therefore
 * makes 15 out of 16 mutations in place, mostly inside one record's payload
 * (size kept: random bytes, bit flips,
 * boundary bytes, small or boundary int32 / float32 values at 4-byte aligned
 * offsets, as in sparse indices and weights) and leaves the rest to
 * LLVMFuzzerMutate.
 *
 * Environment: DREDFAST_FUZZ_ISA = scalar | avx2 | avx512 picks the kernel
 * path (default: the best one the CPU supports). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/dredfast.h"
#include "dred/dred_payload_enc.h"
#include "dred/dred_stats.h"
#define FUZZ_NAME "fuzz_blob"
#include "fuzz_util.h"

#define NB_FEATURES 20
#define FEAT_FLOATS (DF_DRED_MAX_FRAMES * NB_FEATURES)
#define SENTINEL_BITS 0x7fc0dead

/* tests/data/sample_v96.pkts, packet 59: SILK WB 20 ms, code 3 with padding,
 * DRED extension of 106 bytes (q0 4, dq 3, 26 latents with max_ms 1040). */
static const uint8_t k_packet[] = {
    0x4b, 0x41, 0x6b, 0x83, 0x67, 0x88, 0xf6, 0x0c, 0xc3, 0x42, 0x96, 0x7e,
    0xb6, 0x54, 0xc8, 0xb1, 0x4e, 0x4b, 0xb1, 0xc7, 0xba, 0x55, 0x89, 0xc2,
    0x7e, 0x6d, 0x26, 0x45, 0x04, 0x13, 0x5d, 0xea, 0x76, 0x28, 0xfd, 0xa8,
    0x94, 0x5b, 0xa1, 0xbd, 0x0e, 0x6b, 0x22, 0x84, 0x0c, 0x69, 0xa3, 0x80,
    0x7f, 0x0a, 0x97, 0xa4, 0x2b, 0xd6, 0xbf, 0xbf, 0x65, 0x56, 0x13, 0x62,
    0xfe, 0x58, 0x04, 0x07, 0x68, 0xc4, 0x4f, 0x1d, 0x2c, 0x39, 0xfd, 0xfd,
    0x29, 0xb7, 0x28, 0x7a, 0x28, 0xfa, 0xdc, 0x0b, 0x86, 0xf3, 0x56, 0x32,
    0xc8, 0xe7, 0xcb, 0x5d, 0xcc, 0x11, 0xd1, 0xe1, 0x68, 0x48, 0x87, 0x23,
    0x3e, 0xb5, 0x87, 0xcd, 0xdf, 0x23, 0xc1, 0x25, 0x3b, 0x35, 0x02, 0x0b,
    0xfa, 0xa6, 0x3c, 0x29, 0x17, 0x78, 0xe5, 0xd9, 0x18, 0x53, 0xa0, 0xb4,
    0x66, 0x54, 0x18, 0xa0, 0xfc, 0x44, 0x0c, 0x46, 0x33, 0x34, 0x85, 0xba,
    0x85, 0x46, 0x18, 0x6f, 0xab, 0x94, 0xe3, 0x0c, 0x8b, 0xfc, 0x65, 0x79,
    0x0e, 0x5c, 0x5a, 0x29, 0x41, 0xcc, 0x8e, 0x6f, 0x44, 0xa5, 0xec, 0x30,
    0x04, 0xb0, 0x4a, 0xa7, 0x73, 0x5c, 0x3b, 0x7c, 0xe9, 0x41, 0xf0, 0xcc,
    0x90, 0x5b, 0xd1, 0xf4, 0xdb, 0xfb, 0x1f, 0x37, 0x9d, 0xa1, 0x4c, 0xb8,
    0x03, 0x23, 0x33, 0x83, 0x54, 0xf9, 0xf9, 0x46, 0x61, 0xc7, 0xc3, 0xe4,
    0x86, 0x1e, 0xee, 0x53, 0xcb, 0xdd, 0xb8, 0x26, 0x50, 0x00, 0xd6, 0xe0,
    0xb4, 0x93, 0x4d, 0xc0, 0x41, 0x01, 0xfa, 0x82, 0xf7, 0x30, 0x02, 0xdc,
    0xf5, 0x0b, 0x3c, 0xda, 0xc2, 0xb8, 0x99, 0xb4, 0xf7, 0xd2, 0x69, 0xfc,
    0x72, 0x8c, 0x78,
};

static int g_isa = DF_ISA_BEST;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *s = getenv("DREDFAST_FUZZ_ISA");
    (void)argc;
    (void)argv;
    if (s && *s) {
        for (int i = 0; i < DF_ISA_COUNT; i++)
            if (!strcmp(s, fuzz_isa_name[i])) g_isa = i;
        if (g_isa == DF_ISA_BEST) {
            fprintf(stderr, "fuzz_blob: unknown DREDFAST_FUZZ_ISA '%s'\n", s);
            abort();
        }
        if (!df_isa_supported((df_isa)g_isa)) {
            fprintf(stderr, "fuzz_blob: %s is not supported on this CPU\n", s);
            abort();
        }
    }
    return 0;
}

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* Start and size of the payload of a randomly chosen record, found by walking
 * the headers; 0 if the data is not a sequence of records. */
static size_t pick_payload(const uint8_t *data, size_t size, uint32_t r, size_t *len)
{
    size_t off = 0, count = 0, target, i;
    for (i = 0; i < 2; i++) {
        size_t k = 0;
        off = 0;
        target = i ? r % count : (size_t)-1;
        while (off + 64 <= size) {
            uint32_t sz, blk;
            memcpy(&sz, data + off + 12, 4);
            memcpy(&blk, data + off + 16, 4);
            if (blk > size - off - 64 || sz > blk) return 0;
            if (k == target) {
                *len = sz;
                return sz ? off + 64 : 0;
            }
            k++;
            off += 64 + (size_t)blk;
        }
        if (off != size || k == 0) return 0;
        count = k;
    }
    return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    uint32_t s = seed * 2654435761u + 1;
    size_t base = 0, span = size, plen = 0, p;
    int n, k;
    if ((seed & 15) == 0 || size < 64) return LLVMFuzzerMutate(data, size, max_size);
#define NEXT() (s = s * 1103515245u + 12345u, s >> 8)
    /* Mostly inside one record's payload, so that the blob stays valid. */
    if (NEXT() % 8 != 0 && (p = pick_payload(data, size, NEXT(), &plen)) != 0) {
        base = p;
        span = plen;
    }
    n = 1 + (int)(NEXT() % 4);
    for (k = 0; k < n; k++) {
        size_t pos = base + NEXT() % span;
        uint32_t v;
        switch (NEXT() % 6) {
        case 0: data[pos] = (uint8_t)NEXT(); break;
        case 1: data[pos] ^= (uint8_t)(1u << (NEXT() % 8)); break;
        case 2: {
            static const uint8_t b[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe};
            data[pos] = b[NEXT() % sizeof b];
            break;
        }
        case 3: /* small int32 (sparse index entries are block counts / offsets) */
        case 4: {
            static const uint32_t b[] = {0u, 1u, 4u, 8u, 0xfffffffcu, 0x7fffffffu, 0x80000000u,
                                         0x7f800000u /* +inf */, 0x7fc00000u /* NaN */, 0x4f000000u /* 2^31 */};
            pos &= ~(size_t)3;
            if (pos + 4 > base + span) break;
            v = (NEXT() % 6 < 4) ? (uint32_t)(NEXT() % 1024) : b[NEXT() % (sizeof b / sizeof b[0])];
            memcpy(data + pos, &v, 4);
            break;
        }
        default: { /* a float32 of random magnitude */
            const int32_t m = (int32_t)NEXT() - (1 << 23);
            const uint32_t e = NEXT() % 24;
            const float f = (float)m / (float)(1u << e);
            pos &= ~(size_t)3;
            if (pos + 4 > base + span) break;
            memcpy(data + pos, &f, 4);
            break;
        }
        }
    }
#undef NEXT
    return size;
}

static void check_blob(const df_blob *b, size_t size)
{
    volatile uint8_t sink = 0;
    int n = df_blob_count(b), i;
    CHECK(n >= 1);
    CHECK(df_blob_nbytes(b) == size);
    CHECK(df_blob_record(b, -1) == NULL && df_blob_record(b, n) == NULL);
    for (i = 0; i < n; i++) {
        const df_record *r = df_blob_record(b, i);
        const char *nul;
        CHECK(r != NULL);
        nul = (const char *)memchr(r->name, 0, DF_BLOB_NAME_MAX);
        CHECK(nul != NULL && nul > r->name); /* non-empty, NUL-terminated */
        CHECK(df_blob_find(b, r->name) == r); /* names are unique */
        CHECK(r->type >= 0 && r->type <= 4 && df_type_size(r->type) > 0);
        CHECK(r->size >= 0 && r->size % df_type_size(r->type) == 0);
        CHECK(((uintptr_t)r->data & 63) == 0);
        if (r->size > 0) { /* let ASan check the whole payload is addressable */
            const uint8_t *p = (const uint8_t *)r->data;
            sink ^= p[0];
            sink ^= p[r->size - 1];
        }
    }
    (void)sink;
}

/* The sender's side of the same tables: re-code what was decoded, then
 * silence (all zeros, the commonest values).  Any result is fine; it must
 * return (a table giving a coded value probability 0 used to spin forever). */
static void encode_with_tables(const df_blob *blob, const df_dred_data *dd)
{
    static const int32_t zeros[DF_DRED_MAX_LATENTS * DF_DRED_LATENT_DIM];
    static uint8_t out[1000];
    df_dred_stats st;
    char err[256];
    const int offset = dd->extra_flag ? 32 * dd->extra_val + dd->offset_sym : dd->offset_sym;
    int r;
    CHECK(df_dred_stats_bind(&st, blob, err, sizeof err) == 0); /* the decoder bound the same tables */
    r = df_dred_encode_payload(&st, dd->q0, dd->dq, dd->qmax, offset, dd->state_q, &dd->latents_q[0][0],
                               dd->nb_latents, out, (int)sizeof out);
    CHECK(r >= DF_DRED_ENC_TOO_LARGE && r <= (int)sizeof out);
    r = df_dred_encode_payload(&st, dd->q0, dd->dq, dd->qmax, offset, zeros, zeros, 2, out, (int)sizeof out);
    CHECK(r >= DF_DRED_ENC_TOO_LARGE && r <= (int)sizeof out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static df_dred_data dd;
    static float feat[FEAT_FLOATS];
    char err[256];
    df_blob *blob;
    df_dred_decoder *dec;
    df_dred_location loc;
    int r, i;

    err[0] = 0;
    blob = df_blob_parse(data, size, err, sizeof err);
    if (!blob) {
        CHECK(memchr(err, 0, sizeof err) != NULL && err[0] != 0); /* a message, NUL-terminated */
        return 0;
    }
    check_blob(blob, size);

    err[0] = 0;
    dec = df_dred_decoder_create(blob, blob, g_isa, err, sizeof err);
    if (!dec) {
        CHECK(memchr(err, 0, sizeof err) != NULL && err[0] != 0);
    } else {
        r = df_dred_decoder_parse(dec, k_packet, (int32_t)sizeof k_packet, 1040, &loc, &dd);
        CHECK(r == 1);
        CHECK(dd.nb_latents >= 0 && dd.nb_latents <= DF_DRED_MAX_LATENTS);
        CHECK(dd.q0 >= 0 && dd.q0 <= 15 && dd.dq >= 0 && dd.dq <= 7 && dd.qmax >= dd.q0 && dd.qmax <= 15);
        for (i = 0; i < FEAT_FLOATS; i++) {
            const uint32_t s = SENTINEL_BITS;
            memcpy(&feat[i], &s, 4);
        }
        df_dred_decoder_features(dec, &dd, feat);
        for (i = dd.nb_latents * 4 * NB_FEATURES; i < FEAT_FLOATS; i++) {
            uint32_t b;
            memcpy(&b, &feat[i], 4);
            CHECK(b == SENTINEL_BITS);
        }
        encode_with_tables(blob, &dd);
        df_dred_decoder_destroy(dec);
    }
    df_blob_free(blob);
    return 0;
}
