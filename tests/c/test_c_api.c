/* C-only driver over the dredfast core, for LeakSanitizer and valgrind
 * (tests/c/run.sh): every part the Python package uses, on real data,
 * without Python in the way.
 *
 *   test_c_api ROOT [ISA]     ROOT = source tree,
 *                             ISA = scalar|avx2|avx512|neon|neon_dotprod|best
 *
 * Each part runs on the scalar path and on ISA (default: best; under
 * valgrind use avx2, valgrind has no AVX-512) and the two must agree bit for
 * bit, as the core promises; objects are created and destroyed repeatedly so
 * a leak in a constructor or destructor would add up.  Checks:
 *   blob      the two packaged blobs parse; truncated/corrupt copies are
 *             rejected with a message
 *   dred      every packet of tests/data/sample_v96.pkts: parse (>= 40 with
 *             DRED), features finite and identical on both paths
 *   analysis  the demo speech: features finite, identical
 *   fargan    primed from the speech, synthesises from the analysis
 *             features: finite, |x| < 4, identical
 *   lpcnet    100 frames, same seed: identical (every path draws the same)
 *   deep PLC  the receiver's concealment over the speech: 8 frames decoded,
 *             4 lost (every other burst from queued analysis features, with
 *             a skip, like DRED), resets: identical, concealment not silent
 *   encoder   DRED sender over the speech; every payload decodes back
 *             (df_dred_decode_payload) to 1..the latent count the encoder
 *             reported, and its features are finite; identical payloads
 * Exit 0 and "all passed" on success. */
#undef NDEBUG
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/dredfast.h"
#include "analysis/lpcnet_analysis.h"
#include "models/fargan.h"
#include "models/lpcnet.h"
#include "receiver/deep_plc.h"
#include "sender/dred_encoder.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } } while (0)

typedef struct { uint8_t *p; size_t n; } buf;

static buf read_file(const char *root, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "rb");
    CHECK(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf b = {malloc(n > 0 ? (size_t)n : 1), (size_t)n};
    CHECK(b.p && fread(b.p, 1, b.n, f) == b.n, "cannot read %s", path);
    fclose(f);
    return b;
}

static int all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

static df_blob *parse_blob(const buf *b)
{
    char err[256];
    df_blob *w = df_blob_parse(b->p, b->n, err, sizeof err);
    CHECK(w, "packaged blob rejected: %s", err);
    return w;
}

static void test_blob(const buf *model)
{
    char err[256];
    /* Truncated mid-record and with a broken magic: rejected, message set. */
    size_t cuts[] = {0, 10, 64, 100, model->n / 2, model->n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        err[0] = 0;
        CHECK(!df_blob_parse(model->p, cuts[i], err, sizeof err) && err[0], "truncated blob (%zu) accepted", cuts[i]);
    }
    uint8_t *bad = malloc(model->n);
    memcpy(bad, model->p, model->n);
    bad[0] ^= 0xff;
    CHECK(!df_blob_parse(bad, model->n, err, sizeof err), "bad magic accepted");
    free(bad);
    for (int rep = 0; rep < 3; rep++) df_blob_free(parse_blob(model));
    printf("blob: ok\n");
}

/* Packets of a .pkts container: u32 little-endian length + bytes. */
static int next_packet(const buf *b, size_t *pos, const uint8_t **pkt, int32_t *len)
{
    if (*pos + 4 > b->n) return 0;
    uint32_t n = b->p[*pos] | b->p[*pos + 1] << 8 | b->p[*pos + 2] << 16 | (uint32_t)b->p[*pos + 3] << 24;
    CHECK(*pos + 4 + n <= b->n, "truncated container");
    *pkt = b->p + *pos + 4;
    *len = (int32_t)n;
    *pos += 4 + n;
    return 1;
}

static void test_dred(const df_blob *w, const buf *pkts, int isa)
{
    char err[256];
    int n_dred = 0;
    static float fa[4 * DF_DRED_MAX_LATENTS * DF_DRED_NUM_FEATURES], fb[sizeof fa / sizeof fa[0]];
    for (int rep = 0; rep < 2; rep++) {
        df_dred_decoder *da = df_dred_decoder_create(w, w, DF_ISA_SCALAR, err, sizeof err);
        df_dred_decoder *db = df_dred_decoder_create(w, w, isa, err, sizeof err);
        CHECK(da && db, "decoder: %s", err);
        size_t pos = 0;
        const uint8_t *p;
        int32_t n;
        n_dred = 0;
        while (next_packet(pkts, &pos, &p, &n)) {
            df_dred_location loc;
            df_dred_data d;
            int r = df_dred_decoder_parse(da, p, n, 1040, &loc, &d);
            CHECK(r == 0 || r == 1, "real packet rejected (%d)", r);
            if (r != 1) continue;
            n_dred++;
            size_t m = (size_t)4 * d.nb_latents * DF_DRED_NUM_FEATURES;
            df_dred_decoder_features(da, &d, fa);
            df_dred_decoder_features(db, &d, fb);
            CHECK(all_finite(fa, m), "non-finite DRED features");
            CHECK(!memcmp(fa, fb, m * sizeof(float)), "DRED features differ between paths");
        }
        df_dred_decoder_destroy(da);
        df_dred_decoder_destroy(db);
    }
    CHECK(n_dred >= 40, "only %d DRED packets", n_dred);
    printf("dred: %d packets with DRED, ok\n", n_dred);
}

/* Version-10 DRED (libopus 1.5.x) through a two-version decoder: every
 * sample packet is read as version 10 with 21/19 values and features equal
 * on both paths; a version-12-only decoder skips it and says so; bad
 * version lists are refused. */
static void test_dred_v10(const df_blob *w, const df_blob *w10, const buf *pkts, int isa)
{
    char err[256];
    static float fa[4 * DF_DRED_MAX_LATENTS * DF_DRED_NUM_FEATURES], fb[sizeof fa / sizeof fa[0]];
    const df_blob *models[2] = {w, w10};
    const int versions[2] = {12, 10}, bad_unknown[2] = {12, 11}, bad_twice[2] = {10, 10};
    df_dred_decoder *da = df_dred_decoder_create_versions(models, models, versions, 2, DF_ISA_SCALAR, err, sizeof err);
    df_dred_decoder *db = df_dred_decoder_create_versions(models, models, versions, 2, isa, err, sizeof err);
    df_dred_decoder *d12 = df_dred_decoder_create(w, w, isa, err, sizeof err);
    CHECK(da && db && d12, "decoder: %s", err);
    int v[4];
    CHECK(df_dred_decoder_versions(db, v, 4) == 2 && v[0] == 12 && v[1] == 10, "versions");
    CHECK(!df_dred_decoder_create_versions(models, models, bad_unknown, 2, isa, err, sizeof err) && err[0],
          "unknown version accepted");
    CHECK(!df_dred_decoder_create_versions(models, models, bad_twice, 2, isa, err, sizeof err) && err[0],
          "version given twice accepted");
    /* The 1.6.1 model does not fit the version-10 shapes. */
    const df_blob *wrong[2] = {w, w};
    CHECK(!df_dred_decoder_create_versions(wrong, wrong, versions, 2, isa, err, sizeof err) && err[0],
          "1.6.1 blob accepted as the version-10 model");
    size_t pos = 0;
    const uint8_t *p;
    int32_t n;
    int n_dred = 0;
    while (next_packet(pkts, &pos, &p, &n)) {
        df_dred_location loc;
        df_dred_data d;
        CHECK(df_dred_decoder_parse(d12, p, n, 1040, &loc, &d) == 0 && loc.skipped_version == 10,
              "version-12 decoder did not skip version 10");
        CHECK(df_dred_decoder_parse(da, p, n, 1040, &loc, &d) == 1, "version-10 packet without DRED");
        CHECK(loc.version == 10 && d.version == 10 && d.latent_dim == 21 && d.state_dim == 19 && d.latent_in == 21,
              "version-10 dimensions");
        n_dred++;
        size_t m = (size_t)4 * d.nb_latents * DF_DRED_NUM_FEATURES;
        df_dred_decoder_features(da, &d, fa);
        df_dred_decoder_features(db, &d, fb);
        CHECK(all_finite(fa, m), "non-finite DRED features");
        CHECK(!memcmp(fa, fb, m * sizeof(float)), "version-10 DRED features differ between paths");
    }
    CHECK(n_dred >= 30, "only %d version-10 packets", n_dred);
    df_dred_decoder_destroy(da);
    df_dred_decoder_destroy(db);
    df_dred_decoder_destroy(d12);
    printf("dred v10: %d packets, ok\n", n_dred);
}

/* 16-bit mono PCM of a canonical WAV file, as floats at int16 scale. */
static float *read_wav(const buf *b, int *nsamples)
{
    size_t pos = 12;
    while (pos + 8 <= b->n) {
        uint32_t n = b->p[pos + 4] | b->p[pos + 5] << 8 | b->p[pos + 6] << 16 | (uint32_t)b->p[pos + 7] << 24;
        if (!memcmp(b->p + pos, "data", 4)) {
            CHECK(pos + 8 + n <= b->n, "truncated wav");
            *nsamples = (int)(n / 2);
            float *x = malloc(sizeof(float) * (size_t)*nsamples);
            for (int i = 0; i < *nsamples; i++)
                x[i] = (float)(int16_t)(b->p[pos + 8 + 2 * i] | b->p[pos + 9 + 2 * i] << 8);
            return x;
        }
        pos += 8 + n + (n & 1);
    }
    CHECK(0, "no data chunk");
    return NULL;
}

/* Analysis of the whole signal on one path; returns frames x 20 features. */
static float *analyse(const df_blob *w, int isa, const float *pcm, int nframes)
{
    char err[256];
    df_analysis_model *m = malloc(df_analysis_model_size());
    df_analysis_state *st = malloc(df_analysis_state_size());
    CHECK(m && st && df_analysis_model_init(m, w, err, sizeof err) == 0, "analysis: %s", err);
    df_analysis_state_init(st);
    const df_kernels *k = df_kernels_get((df_isa)isa);
    float *f = malloc(sizeof(float) * DF_AN_FEATURES * (size_t)nframes);
    float lpc[DF_AN_LPC];
    for (int i = 0; i < nframes; i++) df_analysis_frame(m, k, st, pcm + DF_AN_FRAME * i, f + DF_AN_FEATURES * i, lpc);
    free(m);
    free(st);
    return f;
}

static float *fargan_run(const df_blob *w, int isa, const float *pcm, const float *feats, int nframes)
{
    char err[256];
    df_fargan_model *m = malloc(sizeof *m);
    df_fargan_state *st = malloc(sizeof *st);
    CHECK(m && st && df_fargan_bind(m, w, err, sizeof err) == 0, "fargan: %s", err);
    const df_kernels *k = df_kernels_get((df_isa)isa);
    float hist[DF_FARGAN_CONT_SAMPLES];
    /* The 320 samples that the first 5 analysed frames end with, in [-1, 1]. */
    for (int i = 0; i < DF_FARGAN_CONT_SAMPLES; i++) hist[i] = pcm[3 * DF_FARGAN_FRAME + i] / 32768.f;
    df_fargan_reset(st);
    df_fargan_prime(m, k, st, hist, feats);
    int n = nframes - DF_FARGAN_CONT_FRAMES;
    float *out = malloc(sizeof(float) * DF_FARGAN_FRAME * (size_t)n);
    for (int i = 0; i < n; i++)
        df_fargan_frame(m, k, st, feats + DF_FARGAN_FEATURES * (DF_FARGAN_CONT_FRAMES + i), out + DF_FARGAN_FRAME * i);
    free(m);
    free(st);
    return out;
}

static float *lpcnet_run(const df_blob *w, int isa, const float *feats, int nframes)
{
    char err[256];
    df_lpcnet_model *m = malloc(sizeof *m);
    df_lpcnet_state *st = malloc(sizeof *st);
    CHECK(m && st && df_lpcnet_bind(m, w, err, sizeof err) == 0, "lpcnet: %s", err);
    const df_kernels *k = df_kernels_get((df_isa)isa);
    df_lpcnet_reset(st, 12345);
    float *out = malloc(sizeof(float) * DF_LPCNET_FRAME * (size_t)nframes);
    float f[DF_LPCNET_FEATURES];
    for (int i = 0; i < nframes; i++) {
        /* Opus features to FreeDV's convention, as dredfast.vocoder's
         * opus_to_lpcnet_features: pitch period in half samples, clamped;
         * the correlation (column 19) is used as it is (real-looking input
         * is all this test needs). */
        memcpy(f, feats + DF_AN_FEATURES * i, sizeof f);
        float half = rintf(2.f * 256.f / exp2f(f[18] + 1.5f));
        f[18] = 0.01f * (fminf(fmaxf(half, 64.f), 511.f) - 200.f);
        df_lpcnet_frame(m, k, st, f, out + DF_LPCNET_FRAME * i);
    }
    free(m);
    free(st);
    return out;
}

/* Deep PLC over the speech: bursts of 4 lost 10 ms frames after every 8
 * decoded ones; returns all nframes output frames (int16).  *energy gets the
 * sum of squares of the concealed samples, *nconcealed their frame count. */
static int16_t *plc_run(const df_blob *w, int isa, const float *pcm, const float *feats, int nframes, double *energy,
                        int *nconcealed)
{
    char err[256];
    df_deep_plc_model *m = malloc(sizeof *m);
    df_deep_plc_state *st = malloc(sizeof *st);
    CHECK(m && st && df_deep_plc_model_init(m, w, err, sizeof err) == 0, "deep PLC: %s", err);
    const df_kernels *k = df_kernels_get((df_isa)isa);
    int16_t *out = malloc(sizeof(int16_t) * DF_DPLC_FRAME * (size_t)nframes);
    df_deep_plc_init(st);
    *energy = 0;
    *nconcealed = 0;
    for (int i = 0; i < nframes; i++) {
        int16_t *o = out + DF_DPLC_FRAME * i;
        int phase = i % 12, burst = i / 12;
        if (i == nframes / 2) df_deep_plc_reset(st);   /* OPUS_RESET_STATE mid-stream */
        if (phase < 8) {
            for (int j = 0; j < DF_DPLC_FRAME; j++) {
                float v = rintf(pcm[DF_DPLC_FRAME * i + j]);
                o[j] = (int16_t)(v > 32767.f ? 32767.f : v < -32768.f ? -32768.f : v);
            }
            df_deep_plc_update(st, o);
            continue;
        }
        if (phase == 8 && burst % 2) {
            /* As a DRED recovery queues them: a skip, then the real features
             * of the lost frames (here: their own analysis). */
            df_deep_plc_fec_clear(st);
            CHECK(df_deep_plc_fec_add(st, NULL) == 0, "fec skip");
            for (int j = 0; j < 4 && i + j < nframes; j++)
                CHECK(df_deep_plc_fec_add(st, feats + DF_AN_FEATURES * (i + j)) == 0, "fec add");
        }
        df_deep_plc_conceal(m, k, st, o);
        (*nconcealed)++;
        for (int j = 0; j < DF_DPLC_FRAME; j++) *energy += (double)o[j] * o[j];
    }
    free(m);
    free(st);
    return out;
}

/* DRED sender at 48 kHz stereo and 8 kHz mono with the DC rejection: the
 * speech repeated to the rate (right = 0.7 left), every packet coded; checks
 * the calls succeed and that a payload appears (the sanitizers check memory).
 * Returns the payloads coded. */
static int encode_formats(const df_blob *w, int isa, const float *pcm, int nsamples)
{
    char err[256];
    df_dred_enc_model *m = malloc(sizeof *m);
    df_dred_enc_state *st = malloc(sizeof *st);
    CHECK(m && st && df_dred_enc_model_init(m, w, err, sizeof err) == 0, "dred encoder: %s", err);
    const df_kernels *k = df_kernels_get((df_isa)isa);
    static float x[2 * 960];
    uint8_t out[DF_DRED_ENC_MAX_BYTES];
    int total = 0;
    CHECK(df_dred_enc_init(st, 44100, 1, DF_DRED_ENC_OPUS_DELAY) == -1, "44.1 kHz accepted");
    CHECK(df_dred_enc_init(st, 48000, 3, DF_DRED_ENC_OPUS_DELAY) == -1, "3 channels accepted");
    for (int f = 0; f < 2; f++) {
        const int fs = f ? 8000 : 48000, ch = f ? 1 : 2, up = fs / 16000 ? fs / 16000 : 1, frame = fs / 50;
        CHECK(df_dred_enc_init(st, fs, ch, f ? 0 : DF_DRED_ENC_OPUS_DELAY) == 0, "df_dred_enc_init %d", fs);
        CHECK(df_dred_enc_push(m, k, st, x, frame + 1, 1, 60) == -1, "bad length accepted");
        for (int s = 0; s + 320 <= nsamples; s += 320) {
            for (int i = 0; i < frame; i++) {
                const float v = pcm[s + (f ? 2 * i : i / up)] / 32768.f;
                x[ch * i] = v;
                if (ch == 2) x[2 * i + 1] = 0.7f * v;
            }
            CHECK(df_dred_enc_push(m, k, st, x, frame, 1, f ? DF_DRED_ENC_DC_REJECT : 60) == 0, "push %d", fs);
            const int n = df_dred_enc_code(m, k, st, out, 26, 200, 6, 3, 15, NULL);
            CHECK(n >= 0, "df_dred_enc_code failed");
            total += n > 0;
        }
        CHECK(total > 0, "no DRED at %d Hz", fs);
    }
    free(m);
    free(st);
    return total;
}

/* DRED sender over the speech; returns the concatenated payloads (length in *len). */
static uint8_t *encode(const df_blob *w, int isa, const float *pcm, int nsamples, const df_dred_decoder *dec,
                       size_t *len, int *npayloads, int *short_reads)
{
    char err[256];
    df_dred_enc_model *m = malloc(sizeof *m);
    df_dred_enc_state *st = malloc(sizeof *st);
    CHECK(m && st && df_dred_enc_model_init(m, w, err, sizeof err) == 0, "dred encoder: %s", err);
    const df_kernels *k = df_kernels_get((df_isa)isa);
    CHECK(df_dred_enc_init(st, 16000, 1, DF_DRED_ENC_OPUS_DELAY) == 0, "df_dred_enc_init");
    uint8_t *all = malloc((size_t)(nsamples / 320 + 1) * DF_DRED_ENC_MAX_BYTES);
    static float feats[4 * DF_DRED_MAX_LATENTS * DF_DRED_NUM_FEATURES];
    float x[320];
    *len = 0;
    *npayloads = 0;
    *short_reads = 0;
    for (int s = 0; s + 320 <= nsamples; s += 320) {
        for (int i = 0; i < 320; i++) x[i] = pcm[s + i] / 32768.f;
        CHECK(df_dred_enc_push(m, k, st, x, 320, 1, 60) == 0, "df_dred_enc_push");
        df_dred_enc_info info;
        int n = df_dred_enc_code(m, k, st, all + *len, 26, 200, 6, 3, 15, &info);
        CHECK(n >= 0, "df_dred_enc_code failed");
        if (n == 0) continue;
        df_dred_data d;
        int nl = df_dred_decode_payload(&d, &m->stats, all + *len, n, df_dred_max_feature_frames(1040), 0);
        /* The decoder stops when fewer than 8 bits are left (libopus's
         * dred_decoder.c FIXME), so trailing latents coded in under a byte
         * are not read back: at most as many as coded, at least one. */
        CHECK(nl >= 1 && nl <= info.nb_latents, "payload decodes to %d latents, encoder coded %d", nl,
              info.nb_latents);
        *short_reads += nl < info.nb_latents;
        df_dred_decoder_features(dec, &d, feats);
        CHECK(all_finite(feats, (size_t)4 * nl * DF_DRED_NUM_FEATURES), "non-finite features of own payload");
        *len += (size_t)n;
        (*npayloads)++;
    }
    free(m);
    free(st);
    return all;
}

int main(int argc, char **argv)
{
    CHECK(argc >= 2, "usage: test_c_api ROOT [scalar|avx2|avx512|neon|neon_dotprod|best]");
    const char *root = argv[1];
    int isa = df_isa_best();
    if (argc > 2 && strcmp(argv[2], "best")) {
        static const char *const names[DF_ISA_COUNT] = {"scalar", "avx2", "avx512", "neon", "neon_dotprod"};
        isa = -1;
        for (int i = 0; i < DF_ISA_COUNT; i++)
            if (!strcmp(argv[2], names[i])) isa = i;
        CHECK(isa >= 0, "unknown ISA %s", argv[2]);
        CHECK(df_isa_supported((df_isa)isa), "ISA %s not supported here", argv[2]);
    }
    printf("paths: scalar vs %s\n", df_kernels_get((df_isa)isa)->name);

    buf model = read_file(root, "weights/opus-1.6.1.bin");
    buf lpcw = read_file(root, "weights/lpcnet-191005.bin");
    buf pkts = read_file(root, "tests/data/sample_v96.pkts");
    buf wav = read_file(root, "dredfast/data/demo_speech.wav");

    test_blob(&model);
    df_blob *w = parse_blob(&model);
    df_blob *lw = parse_blob(&lpcw);
    test_dred(w, &pkts, isa);
    buf model10 = read_file(root, "weights/opus-1.5.2-dred.bin");
    buf pkts10 = read_file(root, "tests/data/sample_v10.pkts");
    df_blob *w10 = parse_blob(&model10);
    test_dred_v10(w, w10, &pkts10, isa);
    df_blob_free(w10);
    free(model10.p), free(pkts10.p);

    int ns;
    float *pcm = read_wav(&wav, &ns);
    int nframes = ns / DF_AN_FRAME;
    CHECK(nframes > 100, "speech too short");
    float *fa = analyse(w, DF_ISA_SCALAR, pcm, nframes), *fb = analyse(w, isa, pcm, nframes);
    size_t nf = (size_t)nframes * DF_AN_FEATURES;
    CHECK(all_finite(fa, nf) && !memcmp(fa, fb, nf * sizeof(float)), "analysis differs or not finite");
    printf("analysis: %d frames, ok\n", nframes);

    float *va = fargan_run(w, DF_ISA_SCALAR, pcm, fa, nframes), *vb = fargan_run(w, isa, pcm, fa, nframes);
    size_t nv = (size_t)(nframes - DF_FARGAN_CONT_FRAMES) * DF_FARGAN_FRAME;
    CHECK(all_finite(va, nv) && !memcmp(va, vb, nv * sizeof(float)), "FARGAN differs or not finite");
    for (size_t i = 0; i < nv; i++) CHECK(fabsf(va[i]) < 4.f, "FARGAN sample %zu = %g", i, va[i]);
    printf("fargan: %zu samples, ok\n", nv);

    const int nl = 100;
    float *la = lpcnet_run(lw, DF_ISA_SCALAR, fa, nl), *lb = lpcnet_run(lw, isa, fa, nl);
    CHECK(all_finite(la, (size_t)nl * 160) && !memcmp(la, lb, sizeof(float) * nl * 160), "LPCNet differs or not finite");
    printf("lpcnet: %d frames, ok\n", nl);

    double ea_plc, eb_plc;
    int nca, ncb;
    int16_t *qa = plc_run(w, DF_ISA_SCALAR, pcm, fa, nframes, &ea_plc, &nca);
    int16_t *qb = plc_run(w, isa, pcm, fa, nframes, &eb_plc, &ncb);
    CHECK(!memcmp(qa, qb, sizeof(int16_t) * DF_DPLC_FRAME * (size_t)nframes), "deep PLC differs");
    CHECK(ea_plc > 0, "deep PLC concealed only silence");
    printf("deep plc: %d frames (%d concealed), ok\n", nframes, nca);
    free(qa), free(qb);

    char err[256];
    df_dred_decoder *dec = df_dred_decoder_create(w, w, isa, err, sizeof err);
    CHECK(dec, "decoder: %s", err);
    size_t ea, eb;
    int npa, npb, sra, srb;
    uint8_t *pa = encode(w, DF_ISA_SCALAR, pcm, ns, dec, &ea, &npa, &sra);
    uint8_t *pb = encode(w, isa, pcm, ns, dec, &eb, &npb, &srb);
    CHECK(npa > 50 && ea == eb && npa == npb && !memcmp(pa, pb, ea), "DRED encoder differs (%d/%d payloads)", npa, npb);
    printf("encoder: %d payloads, %zu bytes (%d decode fewer latents than coded), ok\n", npa, ea, sra);
    printf("encoder at 48 kHz stereo / 8 kHz mono: %d payloads, ok\n", encode_formats(w, isa, pcm, ns));
    df_dred_decoder_destroy(dec);

    free(pa), free(pb), free(la), free(lb), free(va), free(vb), free(fa), free(fb), free(pcm);
    df_blob_free(w);
    df_blob_free(lw);
    free(model.p), free(lpcw.p), free(pkts.p), free(wav.p);
    printf("all passed\n");
    return 0;
}
