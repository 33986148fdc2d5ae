/* C conformance driver: the C core against libopus 1.6.1's reference
 * vectors (../shared/vectors, see its README), without Python, so that it
 * can run where no Python build is at hand -- e.g. built for AArch64 and run
 * under qemu (tests/c/run.sh --arch aarch64).
 *
 *   test_conformance ROOT SHARED VEC ISA CLIP...
 *   test_conformance --supported ISA     exit 0 if this CPU runs ISA
 *
 * ROOT = source tree (weights/), SHARED = the shared data (speech/dev/CLIP.wav,
 * vectors/CLIP/VARIANT.pkts), VEC = the clips' arrays as plain .npy files
 * (tests/c/extract_vectors.py unpacks them from arrays.npz), ISA = kernel
 * path name.  For every clip, with the same procedures and the same (zero)
 * tolerances as the Python tests:
 *   analysis  features (F x 20) and LPC (F x 16) of the clip: bit-exact
 *             (tests/test_analysis.py);
 *   fargan    the README's procedure from `features`: every sample of
 *             fargan_pcm bit-exact (tests/test_fargan.py);
 *   dred      every packet of v24/v24fec/v32/v96 parsed with max_ms = 1000:
 *             DRED found exactly where libopus found it, same latent count,
 *             features bit-exact (tests/test_dred_conformance.py);
 *   deep PLC  libopus's decoder runs replayed (plc/dred/lbrr of each
 *             variant, tests/test_deep_plc.py's drive()): every feature
 *             vector handed to FARGAN and its position bit-exact.
 * Prints per part the values compared and the mismatches (and the largest
 * difference if any); exits 1 if anything differs.  DREDFAST_CONF_PARTS
 * (comma-separated subset of analysis,fargan,dred,plc) runs only those
 * parts, e.g. to count one part's instructions. */
#undef NDEBUG
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/dredfast.h"
#include "analysis/lpcnet_analysis.h"
#include "models/fargan.h"
#include "receiver/deep_plc.h"

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } } while (0)

typedef struct { uint8_t *p; size_t n; } buf;

/* Whole file, or {NULL, 0} if it does not exist and `optional`. */
static buf read_path(const char *path, int optional)
{
    buf b = {NULL, 0};
    FILE *f = fopen(path, "rb");
    if (!f && optional) return b;
    CHECK(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b.p = malloc(n > 0 ? (size_t)n : 1);
    b.n = (size_t)n;
    CHECK(b.p && fread(b.p, 1, b.n, f) == b.n, "cannot read %s", path);
    fclose(f);
    return b;
}

/* A C-order .npy array: dtype descr (e.g. "<f4"), up to 2 dimensions. */
typedef struct { uint8_t *raw; void *data; char descr[8]; long shape[2]; int ndim; } npy;

static npy npy_load(const char *vec, const char *clip, const char *name, int optional)
{
    char path[4096];
    npy a = {0};
    snprintf(path, sizeof path, "%s/%s/%s.npy", vec, clip, name);
    buf b = read_path(path, optional);
    if (!b.p) return a;
    CHECK(b.n >= 10 && !memcmp(b.p, "\x93NUMPY", 6), "%s: not .npy", path);
    const size_t pre = b.p[6] == 1 ? 10 : 12; /* magic, version, header length */
    const size_t hlen = b.p[6] == 1 ? (size_t)(b.p[8] | b.p[9] << 8) + pre
                                    : (size_t)(b.p[8] | b.p[9] << 8 | b.p[10] << 16 | (uint32_t)b.p[11] << 24) + pre;
    CHECK(hlen <= b.n, "%s: bad header", path);
    char hdr[1024] = {0};
    memcpy(hdr, b.p + pre, hlen - pre < sizeof hdr - 1 ? hlen - pre : sizeof hdr - 1);
    const char *d = strstr(hdr, "'descr': '"), *s = strstr(hdr, "'shape': (");
    CHECK(d && s && strstr(hdr, "'fortran_order': False"), "%s: unsupported header %s", path, hdr);
    sscanf(d + 10, "%7[^']", a.descr);
    s += 10;
    while (*s && *s != ')' && a.ndim < 2) {
        a.shape[a.ndim++] = strtol(s, (char **)&s, 10);
        while (*s == ',' || *s == ' ') s++;
    }
    a.raw = b.p;
    a.data = b.p + hlen;
    return a;
}

static void npy_expect(const npy *a, const char *name, const char *descr, int ndim)
{
    CHECK(a->raw && !strcmp(a->descr, descr) && a->ndim == ndim, "%s: want %s with %d dims, got %s/%d", name, descr,
          ndim, a->descr, a->ndim);
}

/* Running tally of one comparison. */
typedef struct { const char *what; long values, mismatches; double max_diff; } tally;

static void compare_f32(tally *t, const float *got, const float *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!memcmp(&got[i], &want[i], sizeof(float))) continue;
        t->mismatches++;
        double d = fabs((double)got[i] - (double)want[i]);
        if (!(d <= t->max_diff)) t->max_diff = d; /* NaN sticks */
    }
    t->values += (long)n;
}

static int report(const tally *t)
{
    printf("  %-34s %9ld values, %ld differ%s", t->what, t->values, t->mismatches, t->mismatches ? "" : "\n");
    if (t->mismatches) printf(" (max |diff| %.3g)\n", t->max_diff);
    return t->mismatches != 0 || t->values == 0;
}

/* 16-bit mono PCM of a canonical WAV file, at int16 scale. */
static float *read_wav(const char *path, int *nsamples)
{
    buf b = read_path(path, 0);
    size_t pos = 12;
    while (pos + 8 <= b.n) {
        uint32_t n = b.p[pos + 4] | b.p[pos + 5] << 8 | b.p[pos + 6] << 16 | (uint32_t)b.p[pos + 7] << 24;
        if (!memcmp(b.p + pos, "data", 4)) {
            CHECK(pos + 8 + n <= b.n, "truncated wav");
            *nsamples = (int)(n / 2);
            float *x = malloc(sizeof(float) * (size_t)*nsamples);
            for (int i = 0; i < *nsamples; i++)
                x[i] = (float)(int16_t)(b.p[pos + 8 + 2 * i] | b.p[pos + 9 + 2 * i] << 8);
            free(b.p);
            return x;
        }
        pos += 8 + n + (n & 1);
    }
    CHECK(0, "%s: no data chunk", path);
    return NULL;
}

/* The packets of a .pkts container (u32 little-endian length + bytes). */
typedef struct { buf file; const uint8_t **p; int32_t *len; int n; } packets;

static packets read_pkts(const char *path)
{
    packets k = {read_path(path, 0), NULL, NULL, 0};
    size_t pos = 0;
    int cap = 0;
    while (pos + 4 <= k.file.n) {
        const uint8_t *h = k.file.p + pos;
        uint32_t n = h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24;
        CHECK(pos + 4 + n <= k.file.n, "%s: truncated", path);
        if (k.n == cap) {
            cap = cap ? 2 * cap : 512;
            k.p = realloc(k.p, sizeof(*k.p) * (size_t)cap);
            k.len = realloc(k.len, sizeof(*k.len) * (size_t)cap);
            CHECK(k.p && k.len, "out of memory");
        }
        k.p[k.n] = h + 4;
        k.len[k.n++] = (int32_t)n;
        pos += 4 + n;
    }
    return k;
}

static void free_pkts(packets *k) { free(k->file.p), free(k->p), free(k->len); }

static int isa_from_name(const char *s)
{
    static const char *const names[DF_ISA_COUNT] = {"scalar", "avx2", "avx512", "neon", "neon_dotprod"};
    if (!strcmp(s, "best")) return df_isa_best();
    for (int i = 0; i < DF_ISA_COUNT; i++)
        if (!strcmp(s, names[i])) return i;
    CHECK(0, "unknown ISA %s", s);
    return -1;
}

static const char *const VARIANTS[] = {"v24", "v24fec", "v32", "v96"};
#define DRED_HDR_COLS 17
#define HDR_HAS_DRED 0
#define HDR_NB_LATENTS 10

/* ---- deep PLC replay (tests/test_deep_plc.py's drive) ---------------------- */

#define DEC_DELAY 13 /* SILK's 16 kHz frame reaches the API output 13 samples late */

/* libopus's queue of DRED rows for one lost 20 ms frame (dredfast._plc's
 * dred_feature_rows): rows init - i - 2 + floor((gap + 40 offset) / 160)
 * for i < init + 2, init = 2 unless blending; rows past the decoded ones
 * are skips (-1), negative ones are left out.  Returns the count. */
static int dred_rows(int offset, int gap, int nb_latents, int blend, int rows[4])
{
    const int init = blend ? 0 : 2;
    const int num = gap + 40 * offset;
    const int base = num >= 0 ? num / DF_DPLC_FRAME : -((-num + DF_DPLC_FRAME - 1) / DF_DPLC_FRAME);
    int n = 0;
    for (int i = 0; i < init + 2; i++) {
        const int r = init - i - 2 + base;
        if (r >= 0) rows[n++] = r <= 4 * nb_latents - 1 ? r : -1;
    }
    return n;
}

/* Conceals one 20 ms frame (two calls) starting at sample s; appends
 * [position, 20 features] rows to got. */
static void conceal20(const df_deep_plc_model *m, const df_kernels *k, df_deep_plc_state *st, int s, float *got,
                      long *ngot, long cap)
{
    int16_t pcm[DF_DPLC_FRAME];
    for (int h = 0; h < 2; h++) {
        df_deep_plc_conceal(m, k, st, pcm);
        CHECK(*ngot < cap, "more concealed frames than the reference");
        got[*ngot * 21] = (float)(s + h * DF_DPLC_FRAME);
        memcpy(&got[*ngot * 21 + 1], st->features, sizeof(float) * DF_DPLC_FEATURES);
        (*ngot)++;
    }
}

static void plc_run(const df_deep_plc_model *m, const df_kernels *k, const df_dred_decoder *dd,
                    const npy *dec, const npy *ev, const npy *ref, const packets *pk, tally *t)
{
    df_deep_plc_state *st = malloc(sizeof *st);
    static float feats[4 * DF_DRED_MAX_LATENTS * DF_DRED_NUM_FEATURES];
    const int16_t *pcm = dec->data;
    const int32_t *e = ev->data;
    const long n = ev->shape[0], nref = ref->shape[0];
    float *got = malloc(sizeof(float) * 21 * (size_t)(nref + 1));
    long ngot = 0, row = 0;
    CHECK(st && got, "out of memory");
    df_deep_plc_init(st);
    while (row < n) {
        const int kind = e[row * 3 + 1], s = 320 * (int)row;
        if (kind == 0 || kind == 2) {
            if (s + DEC_DELAY + 320 > dec->shape[0]) break; /* the stream's last 13 samples were never output */
            df_deep_plc_update(st, pcm + s + DEC_DELAY);
            df_deep_plc_update(st, pcm + s + DEC_DELAY + DF_DPLC_FRAME);
            row++;
        } else if (kind == 1) {
            conceal20(m, k, st, s, got, &ngot, nref);
            row++;
        } else {
            long end = row;
            while (end < n && e[end * 3 + 1] == 3) end++;
            CHECK(end < n, "a DRED gap needs the packet after it");
            const int gap = (int)(end - row), pkt = e[end * 3];
            CHECK(pk && pkt < pk->n, "DRED packet %d missing", pkt);
            df_dred_location loc;
            df_dred_data d;
            const int max_ms = 20 * gap < 1000 ? 20 * gap : 1000;
            CHECK(df_dred_decoder_parse(dd, pk->p[pkt], pk->len[pkt], max_ms, &loc, &d) == 1, "no DRED in packet %d", pkt);
            df_dred_decoder_features(dd, &d, feats);
            for (int f = 0; f < gap; f++) {
                int rows[4];
                const int nr = dred_rows(d.dred_offset, (gap - f) * 320, d.nb_latents, st->blend, rows);
                df_deep_plc_fec_clear(st);
                for (int i = 0; i < nr; i++)
                    CHECK(df_deep_plc_fec_add(st, rows[i] < 0 ? NULL : feats + rows[i] * DF_DRED_NUM_FEATURES) == 0,
                          "fec queue full");
                conceal20(m, k, st, 320 * (int)(row + f), got, &ngot, nref);
            }
            row = end;
        }
    }
    CHECK(ngot == nref, "%ld concealed feature frames, the reference has %ld", ngot, nref);
    compare_f32(t, got, ref->data, (size_t)ngot * 21);
    free(got);
    free(st);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--supported")) return !df_isa_supported((df_isa)isa_from_name(argv[2]));
    CHECK(argc >= 6, "usage: test_conformance ROOT SHARED VEC ISA CLIP... | --supported ISA");
    const char *root = argv[1], *shared = argv[2], *vec = argv[3];
    const int isa = isa_from_name(argv[4]);
    CHECK(df_isa_supported((df_isa)isa), "ISA %s not supported here", argv[4]);
    const df_kernels *k = df_kernels_get((df_isa)isa);
    char path[4096], err[256];
    printf("conformance against libopus 1.6.1's vectors, path %s, %d clip(s)\n", k->name, argc - 5);

    snprintf(path, sizeof path, "%s/weights/opus-1.6.1.bin", root);
    buf model = read_path(path, 0);
    df_blob *w = df_blob_parse(model.p, model.n, err, sizeof err);
    CHECK(w, "blob: %s", err);
    df_analysis_model *am = malloc(df_analysis_model_size());
    df_analysis_state *as = malloc(df_analysis_state_size());
    df_fargan_model *fm = malloc(sizeof *fm);
    df_fargan_state *fs = malloc(sizeof *fs);
    df_deep_plc_model *pm = malloc(sizeof *pm);
    CHECK(am && as && fm && fs && pm, "out of memory");
    CHECK(df_analysis_model_init(am, w, err, sizeof err) == 0, "analysis: %s", err);
    CHECK(df_fargan_bind(fm, w, err, sizeof err) == 0, "fargan: %s", err);
    CHECK(df_deep_plc_model_init(pm, w, err, sizeof err) == 0, "deep PLC: %s", err);
    df_dred_decoder *dd = df_dred_decoder_create(w, w, isa, err, sizeof err);
    CHECK(dd, "decoder: %s", err);

    const char *parts = getenv("DREDFAST_CONF_PARTS");
    const int do_an = !parts || strstr(parts, "analysis"), do_fg = !parts || strstr(parts, "fargan");
    const int do_dred = !parts || strstr(parts, "dred"), do_plc = !parts || strstr(parts, "plc");
    tally t_feat = {"analysis features", 0, 0, 0}, t_lpc = {"analysis LPC", 0, 0, 0};
    tally t_fargan = {"FARGAN samples (fargan_pcm)", 0, 0, 0}, t_dred = {"DRED features", 0, 0, 0};
    tally t_plc = {"deep PLC features + positions", 0, 0, 0};
    long dred_packets = 0, dred_presence_errors = 0, plc_runs = 0;
    static float feats[4 * DF_DRED_MAX_LATENTS * DF_DRED_NUM_FEATURES];

    for (int c = 5; c < argc; c++) {
        const char *clip = argv[c];
        printf("%s\n", clip);
        fflush(stdout);
        /* analysis */
        int ns;
        snprintf(path, sizeof path, "%s/speech/dev/%s.wav", shared, clip);
        float *pcm = read_wav(path, &ns);
        npy ref_f = npy_load(vec, clip, "features", 0), ref_l = npy_load(vec, clip, "lpc", 0);
        npy_expect(&ref_f, "features", "<f4", 2);
        npy_expect(&ref_l, "lpc", "<f4", 2);
        const int nf = (int)ref_f.shape[0];
        CHECK(nf == ns / DF_AN_FRAME && ref_f.shape[1] == DF_AN_FEATURES && ref_l.shape[1] == DF_AN_LPC, "shapes");
        float *f = malloc(sizeof(float) * DF_AN_FEATURES * (size_t)nf), *lpc = malloc(sizeof(float) * DF_AN_LPC * (size_t)nf);
        if (do_an) {
            df_analysis_state_init(as);
            for (int i = 0; i < nf; i++)
                df_analysis_frame(am, k, as, pcm + DF_AN_FRAME * i, f + DF_AN_FEATURES * i, lpc + DF_AN_LPC * i);
            compare_f32(&t_feat, f, ref_f.data, (size_t)nf * DF_AN_FEATURES);
            compare_f32(&t_lpc, lpc, ref_l.data, (size_t)nf * DF_AN_LPC);
        }
        free(f), free(lpc), free(pcm), free(ref_l.raw);

        /* FARGAN: fargan_cont(zeros, features[0] x 5), then frames 1..F-1 */
        npy ref_pcm = npy_load(vec, clip, "fargan_pcm", 1);
        if (ref_pcm.raw && do_fg) {
            npy_expect(&ref_pcm, "fargan_pcm", "<f4", 1);
            CHECK(ref_pcm.shape[0] == (long)(nf - 1) * DF_FARGAN_FRAME, "fargan_pcm length");
            const float *rf = ref_f.data;
            float hist[DF_FARGAN_CONT_SAMPLES] = {0}, first[DF_FARGAN_CONT_FRAMES * DF_FARGAN_FEATURES];
            for (int i = 0; i < DF_FARGAN_CONT_FRAMES; i++) memcpy(first + i * DF_FARGAN_FEATURES, rf, sizeof(float) * DF_FARGAN_FEATURES);
            float *out = malloc(sizeof(float) * (size_t)ref_pcm.shape[0]);
            df_fargan_reset(fs);
            df_fargan_prime(fm, k, fs, hist, first);
            for (int i = 1; i < nf; i++)
                df_fargan_frame(fm, k, fs, rf + DF_AN_FEATURES * i, out + DF_FARGAN_FRAME * (i - 1));
            compare_f32(&t_fargan, out, ref_pcm.data, (size_t)ref_pcm.shape[0]);
            free(out);
        }
        free(ref_pcm.raw), free(ref_f.raw);

        for (int v = 0; v < 4; v++) {
            snprintf(path, sizeof path, "%s/vectors/%s/%s.pkts", shared, clip, VARIANTS[v]);
            FILE *probe = fopen(path, "rb");
            if (!probe) continue;
            fclose(probe);
            packets pk = read_pkts(path);
            char name[64];
            /* DRED: presence and latent count of every packet, features of the heavy clips */
            snprintf(name, sizeof name, "%s_dred_hdr", VARIANTS[v]);
            npy hdr = npy_load(vec, clip, name, 0);
            npy_expect(&hdr, name, "<i4", 2);
            CHECK(hdr.shape[0] == pk.n && hdr.shape[1] == DRED_HDR_COLS, "%s: %ld rows for %d packets", name, hdr.shape[0], pk.n);
            snprintf(name, sizeof name, "%s_dred_latent_ptr", VARIANTS[v]);
            npy lptr = npy_load(vec, clip, name, 0);
            npy_expect(&lptr, name, "<i8", 1);
            snprintf(name, sizeof name, "%s_dred_features", VARIANTS[v]);
            npy rfe = npy_load(vec, clip, name, 1);
            const int32_t *h = hdr.data;
            const int64_t *lp = lptr.data;
            for (int i = 0; i < pk.n && do_dred; i++) {
                df_dred_location loc;
                df_dred_data d;
                const int r = df_dred_decoder_parse(dd, pk.p[i], pk.len[i], 1000, &loc, &d);
                const int want = h[i * DRED_HDR_COLS + HDR_HAS_DRED];
                if ((r == 1) != (want == 1) || (r == 1 && d.nb_latents != h[i * DRED_HDR_COLS + HDR_NB_LATENTS])) {
                    dred_presence_errors++;
                    continue;
                }
                if (r != 1) continue;
                dred_packets++;
                if (!rfe.raw) continue;
                CHECK(lp[i + 1] - lp[i] == d.nb_latents && rfe.shape[1] == DF_DRED_NUM_FEATURES, "latent pointers");
                df_dred_decoder_features(dd, &d, feats);
                compare_f32(&t_dred, feats, (const float *)rfe.data + 4 * lp[i] * DF_DRED_NUM_FEATURES,
                            (size_t)4 * d.nb_latents * DF_DRED_NUM_FEATURES);
            }
            free(hdr.raw), free(lptr.raw), free(rfe.raw);

            /* deep PLC: libopus's decoder runs of this variant */
            static const char *const modes[] = {"plc", "dred", "lbrr"};
            for (int mo = 0; mo < 3 && do_plc; mo++) {
                char en[96], fn[96];
                snprintf(name, sizeof name, "%s_dec_%s", VARIANTS[v], modes[mo]);
                snprintf(en, sizeof en, "%s_events", name);
                snprintf(fn, sizeof fn, "%s_fargan_features", name);
                npy dec = npy_load(vec, clip, name, 1);
                if (!dec.raw) continue;
                npy ev = npy_load(vec, clip, en, 0), ref = npy_load(vec, clip, fn, 0);
                npy_expect(&dec, name, "<i2", 1);
                npy_expect(&ev, en, "<i4", 2);
                npy_expect(&ref, fn, "<f4", 2);
                CHECK(ev.shape[1] == 3 && ref.shape[1] == 21, "%s: shapes", name);
                plc_run(pm, k, dd, &dec, &ev, &ref, &pk, &t_plc);
                plc_runs++;
                free(dec.raw), free(ev.raw), free(ref.raw);
            }
            free_pkts(&pk);
        }
    }

    int bad = 0;
    printf("results (exact comparison, bits):\n");
    if (do_an) bad |= report(&t_feat) | report(&t_lpc);
    if (do_fg) bad |= report(&t_fargan);
    if (do_dred) {
        bad |= report(&t_dred);
        printf("  %-34s %9ld packets with DRED, %ld disagree on presence/latents\n", "DRED parse", dred_packets,
               dred_presence_errors);
        bad |= dred_presence_errors != 0 || dred_packets == 0;
    }
    if (do_plc) {
        bad |= report(&t_plc);
        printf("  %-34s %9ld runs\n", "deep PLC decoder runs replayed", plc_runs);
        bad |= plc_runs == 0;
    }
    df_dred_decoder_destroy(dd);
    df_blob_free(w);
    free(model.p), free(am), free(as), free(fm), free(fs), free(pm);
    printf(bad ? "conformance: FAILED\n" : "conformance: all exact\n");
    return bad;
}
