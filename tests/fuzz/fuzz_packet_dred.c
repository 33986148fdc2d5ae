/* libFuzzer target: one Opus packet through the whole dredfast C path.
 *
 * Input layout: byte 0 selects max_ms (0..1040, linear in the byte), bytes
 * 1.. are the packet.  (A raw packet therefore needs one byte in front of
 * it; make_corpus.py writes the seeds that way.)
 *
 * For every input:
 *   df_packet_parse       framing invariants (frame/padding bounds, counts);
 *   df_ext_iter_*         every extension inside the padding, bounded count,
 *                         end/error sticky;
 *   df_find_dred          agrees with a scan of the iterator output, location
 *                         invariants (ext_data within the packet, ext_len > 2,
 *                         'D', 12 prefix, frame offset);
 *   df_dred_decoder_parse same answer and location as df_find_dred, decoded
 *                         header/latent invariants (q0 0..15, dq 0..7,
 *                         q0 <= qmax <= 15, nb_latents 0..26 and within what
 *                         max_ms allows, finite dequantised values);
 *   df_dred_decoder_features for every ISA the CPU supports: every feature
 *                         finite, nothing written past 4*nb_latents rows,
 *                         and all ISAs bit-identical;
 *   the same through two-version decoders (12 and 10, the latter with the
 *                         packaged libopus 1.5.2 blob): a version-12 DRED
 *                         as above, else the first 'D', 10 extension met
 *                         before any malformed one, decoded with 21/19
 *                         values and the 1.5.2 model.
 * A violated invariant calls __builtin_trap() (libFuzzer reports a crash).
 *
 * Environment:
 *   DREDFAST_BLOB        weight blob (default: the packaged weights, path set
 *                        at build time through DREDFAST_DEFAULT_BLOB);
 *   DREDFAST_BLOB10      version-10 blob (default: DREDFAST_DEFAULT_BLOB10);
 *   DREDFAST_FUZZ_ISAS   optional comma list among scalar,avx2,avx512 to
 *                        restrict the decoders compared (default: all that
 *                        the CPU supports). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/dredfast.h"
#define FUZZ_NAME "fuzz_packet_dred"
#include "fuzz_util.h"

#define NB_FEATURES 20
#define FEAT_FLOATS (DF_DRED_MAX_FRAMES * NB_FEATURES)
#define SENTINEL_BITS 0x7fc0dead /* a NaN pattern the decoder never writes */

#ifndef DREDFAST_DEFAULT_BLOB10
#define DREDFAST_DEFAULT_BLOB10 "weights/opus-1.5.2-dred.bin"
#endif

static df_blob *g_blob, *g_blob10;
static df_dred_decoder *g_dec[DF_ISA_COUNT];
static df_dred_decoder *g_dec2[DF_ISA_COUNT]; /* versions 12 and 10, same ISAs as g_dec */
static int g_ndec;

static df_blob *load_blob10(void)
{
    const char *path = getenv("DREDFAST_BLOB10");
    char err[256];
    size_t len = 0;
    uint8_t *bytes;
    df_blob *blob;
    if (!path || !*path) path = DREDFAST_DEFAULT_BLOB10;
    bytes = fuzz_read_file(path, &len);
    if (!bytes) {
        fprintf(stderr, "fuzz_packet_dred: cannot read version-10 blob %s (set DREDFAST_BLOB10)\n", path);
        abort();
    }
    blob = df_blob_parse(bytes, len, err, sizeof err);
    free(bytes);
    if (!blob) {
        fprintf(stderr, "fuzz_packet_dred: %s: %s\n", path, err);
        abort();
    }
    return blob;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];
    int isa;
    (void)argc;
    (void)argv;
    g_blob = fuzz_load_blob();
    g_blob10 = load_blob10();
    for (isa = 0; isa < DF_ISA_COUNT; isa++) {
        const df_blob *models[2] = {g_blob, g_blob10};
        const int versions[2] = {12, 10};
        if (!df_isa_supported((df_isa)isa) || !fuzz_isa_wanted(isa, 0)) continue;
        g_dec[g_ndec] = df_dred_decoder_create(g_blob, g_blob, isa, err, sizeof err);
        g_dec2[g_ndec] = df_dred_decoder_create_versions(models, models, versions, 2, isa, err, sizeof err);
        if (!g_dec[g_ndec] || !g_dec2[g_ndec]) {
            fprintf(stderr, "fuzz_packet_dred: decoder for %s: %s\n", fuzz_isa_name[isa], err);
            abort();
        }
        if ((int)df_dred_decoder_isa(g_dec[g_ndec]) != isa) abort();
        fprintf(stderr, "fuzz_packet_dred: decoder %d uses %s\n", g_ndec, fuzz_isa_name[isa]);
        g_ndec++;
    }
    if (g_ndec == 0) {
        fprintf(stderr, "fuzz_packet_dred: no decoder (DREDFAST_FUZZ_ISAS excludes every ISA)\n");
        abort();
    }
    return 0;
}

/* Both pointers bound a range inside [lo, hi]. */
static int within(const uint8_t *p, int32_t n, const uint8_t *lo, const uint8_t *hi)
{
    return p != NULL && n >= 0 && p >= lo && p <= hi && n <= hi - p;
}

static void check_packet(const uint8_t *pkt, int32_t len, const df_packet *p)
{
    const uint8_t *end = pkt + len;
    const uint8_t *q;
    int i;
    CHECK(p->nb_frames >= 1 && p->nb_frames <= DF_PACKET_MAX_FRAMES);
    CHECK(p->toc == pkt[0]);
    CHECK(p->samples_per_frame_48k == df_packet_samples_per_frame_48k(pkt[0]));
    CHECK(p->samples_per_frame_48k >= 120 && p->samples_per_frame_48k <= 2880);
    CHECK(p->nb_frames * p->samples_per_frame_48k <= 5760);
    CHECK(p->payload_offset >= 1 && p->payload_offset <= len);
    q = pkt + p->payload_offset;
    for (i = 0; i < p->nb_frames; i++) {
        CHECK(p->frame_len[i] >= 0 && p->frame_len[i] <= 1275);
        CHECK(p->frames[i] == q);
        CHECK(within(p->frames[i], p->frame_len[i], pkt, end));
        q += p->frame_len[i];
    }
    if (p->padding) {
        CHECK(p->padding_len > 0);
        CHECK(p->padding == q);
        CHECK(p->padding + p->padding_len == end);
        CHECK((pkt[0] & 3) == 3);
    } else {
        CHECK(p->padding_len == 0);
        CHECK(q == end);
    }
}

/* Iterates all extensions to the end, checking each one.  *found and *dred get
 * the first DRED-looking extension (as libopus's dred_find_payload picks
 * it); *dred_status what df_find_dred must return: 1 if found before any
 * error, else the iterator's final status (0 or DF_PACKET_INVALID). */
static void walk_extensions(const df_packet *p, df_extension *dred, int *found, int *dred_status,
                            df_extension *dred10, int *found10)
{
    df_ext_iter it;
    df_extension ext;
    long count = 0;
    /* Each extension consumes at least its ID byte, or is a repeated copy
     * (at most one per remaining frame per ID byte). */
    const long max_count = (long)(p->padding_len + 1) * DF_PACKET_MAX_FRAMES + 1;
    const uint8_t *lo = p->padding, *hi = p->padding ? p->padding + p->padding_len : NULL;
    int r;
    *found = 0;
    *found10 = 0;
    *dred_status = 0;
    df_ext_iter_init(&it, p->padding, p->padding_len, p->nb_frames);
    while ((r = df_ext_iter_next(&it, &ext)) == 1) {
        CHECK(++count <= max_count);
        CHECK(p->padding != NULL);
        CHECK(ext.id >= 3 && ext.id <= 127);
        CHECK(ext.frame >= 0 && ext.frame < p->nb_frames);
        CHECK(within(ext.data, ext.len, lo, hi));
        if (ext.id < 32) CHECK(ext.len == 0 || ext.len == 1);
        if (!*found && ext.id == DF_DRED_EXTENSION_ID && ext.len > 2 && ext.data[0] == 'D' &&
            ext.data[1] == DF_DRED_EXPERIMENTAL_VERSION) {
            *found = 1;
            *dred = ext;
            *dred_status = 1;
        }
        if (!*found10 && ext.id == DF_DRED_EXTENSION_ID && ext.len > 2 && ext.data[0] == 'D' && ext.data[1] == 10) {
            *found10 = 1;
            *dred10 = ext;
        }
    }
    CHECK(r == 0 || r == DF_PACKET_INVALID);
    if (!*found) *dred_status = r;
    /* The end (or an error) is sticky. */
    CHECK(df_ext_iter_next(&it, &ext) == r);
    CHECK(df_ext_iter_next(&it, &ext) == r);
}

static int expected_max_latents(int max_ms)
{
    int frames = df_dred_max_feature_frames(max_ms);
    int limit = (frames + 1) / 2;
    int n = (limit + 1) / 2;
    return n < DF_DRED_MAX_LATENTS ? n : DF_DRED_MAX_LATENTS;
}

static void check_dred(const df_dred_data *d, int max_ms, const df_dred_location *loc)
{
    int i, j;
    CHECK(d->q0 >= 0 && d->q0 <= 15);
    CHECK(d->dq >= 0 && d->dq <= 7);
    CHECK(d->qmax >= d->q0 && d->qmax <= 15);
    CHECK(d->extra_flag == 0 || d->extra_flag == 1);
    CHECK(d->extra_val >= 0 && d->extra_val <= 255);
    CHECK(d->extra_flag || d->extra_val == 0);
    CHECK(d->offset_sym >= 0 && d->offset_sym <= 31);
    CHECK(d->frame_offset == loc->frame_offset);
    CHECK(d->dred_offset == 16 - d->offset_sym - 32 * d->extra_val + d->frame_offset);
    CHECK(d->nb_latents >= 0 && d->nb_latents <= DF_DRED_MAX_LATENTS);
    CHECK(d->nb_latents <= expected_max_latents(max_ms));
    CHECK(d->version == loc->version);
    if (d->version == 12) CHECK(d->latent_dim == 25 && d->state_dim == 50 && d->latent_in == 26);
    else CHECK(d->version == 10 && d->latent_dim == 21 && d->state_dim == 19 && d->latent_in == 21);
    for (i = 0; i < d->state_dim; i++) CHECK(isfinite(d->state[i]));
    for (j = 0; j < d->nb_latents; j++) {
        CHECK(d->qlevel[j] == df_dred_quantizer(d->q0, d->dq, d->qmax, j));
        CHECK(d->qlevel[j] >= d->q0 && d->qlevel[j] <= d->qmax);
        for (i = 0; i < d->latent_in; i++) CHECK(isfinite(d->latents[j][i]));
        if (d->version == 12) CHECK(d->latents[j][DF_DRED_LATENT_DIM] == (float)(d->qlevel[j] * .125 - 1));
    }
}

/* Features of d on every decoder of set dec: finite, nothing past the last
 * latent, bit-identical across ISAs. */
static void check_features(df_dred_decoder *const *dec, const df_dred_data *d)
{
    static float feat[DF_ISA_COUNT][FEAT_FLOATS];
    const int n = d->nb_latents * 4 * NB_FEATURES;
    int k, i;
    for (k = 0; k < g_ndec; k++) {
        const uint32_t s = SENTINEL_BITS;
        for (i = 0; i < FEAT_FLOATS; i++) memcpy(&feat[k][i], &s, 4);
        df_dred_decoder_features(dec[k], d, feat[k]);
        for (i = 0; i < n; i++) CHECK(isfinite(feat[k][i]));
        for (; i < FEAT_FLOATS; i++) {
            uint32_t b;
            memcpy(&b, &feat[k][i], 4);
            CHECK(b == SENTINEL_BITS); /* nothing written past the last latent */
        }
        if (k > 0 && memcmp(feat[0], feat[k], (size_t)n * sizeof(float)) != 0) {
            for (i = 0; i < n; i++) {
                if (memcmp(&feat[0][i], &feat[k][i], 4) != 0) {
                    fprintf(stderr, "fuzz_packet_dred: ISA mismatch at feature %d (frame %d): %s %.9g vs %s %.9g\n",
                            i, i / NB_FEATURES, df_kernels_get(df_dred_decoder_isa(dec[0]))->name, feat[0][i],
                            df_kernels_get(df_dred_decoder_isa(dec[k]))->name, feat[k][i]);
                    break;
                }
            }
            __builtin_trap();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static df_dred_data dd; /* ~6 KB: static rather than on the fuzzer's stack */
    df_packet pkt;
    df_extension dred_ext, dred10;
    df_dred_location loc, loc2, loc3;
    const uint8_t *packet;
    int32_t len;
    int max_ms, r, found, found10, dred_status;

    if (size < 1 || size > 100000) return 0;
    max_ms = (int)((data[0] * 1040 + 127) / 255);
    /* Copy the packet to its own allocation so ASan sees its exact end. */
    len = (int32_t)(size - 1);
    packet = NULL;
    {
        uint8_t *copy = (uint8_t *)malloc(len ? (size_t)len : 1);
        if (!copy) return 0;
        memcpy(copy, data + 1, (size_t)len);
        packet = copy;
    }

    r = df_packet_parse(packet, len, &pkt);
    CHECK(r == DF_PACKET_OK || r == DF_PACKET_INVALID);
    if (r == DF_PACKET_OK) {
        check_packet(packet, len, &pkt);
        walk_extensions(&pkt, &dred_ext, &found, &dred_status, &dred10, &found10);
    } else {
        found = found10 = 0;
        dred_status = DF_PACKET_INVALID;
    }

    r = df_find_dred(packet, len, &loc);
    CHECK(r == dred_status);
    if (r == 1) {
        CHECK(found);
        CHECK(loc.ext_data == dred_ext.data && loc.ext_len == dred_ext.len && loc.frame == dred_ext.frame);
        CHECK(within(loc.ext_data, loc.ext_len, packet, packet + len));
        CHECK(loc.ext_len > 2);
        CHECK(loc.ext_data[0] == 'D' && loc.ext_data[1] == DF_DRED_EXPERIMENTAL_VERSION);
        CHECK(loc.frame >= 0 && loc.frame < pkt.nb_frames);
        CHECK(loc.frame_offset == loc.frame * pkt.samples_per_frame_48k / 120);
    }

    memset(&loc2, 0xa5, sizeof loc2);
    r = df_dred_decoder_parse(g_dec[0], packet, len, max_ms, &loc2, &dd);
    CHECK(r == dred_status);
    if (r == 1) {
        CHECK(loc2.ext_data == loc.ext_data && loc2.ext_len == loc.ext_len && loc2.frame == loc.frame &&
              loc2.frame_offset == loc.frame_offset);
        check_dred(&dd, max_ms, &loc2);

        check_features(g_dec, &dd);
    }

    /* Two-version decoders: version 12 first, else version 10. */
    memset(&loc3, 0xa5, sizeof loc3);
    r = df_dred_decoder_parse(g_dec2[0], packet, len, max_ms, &loc3, &dd);
    if (found) {
        CHECK(r == 1 && loc3.version == 12 && loc3.ext_data == dred_ext.data);
    } else if (found10) {
        CHECK(r == 1 && loc3.version == 10 && loc3.ext_data == dred10.data && loc3.ext_len == dred10.len &&
              loc3.frame == dred10.frame);
    } else {
        CHECK(r == dred_status);
    }
    if (r == 1) {
        CHECK(loc3.ext_data[0] == 'D' && loc3.ext_data[1] == loc3.version);
        check_dred(&dd, max_ms, &loc3);
        check_features(g_dec2, &dd);
    }
    free((void *)packet);
    return 0;
}
