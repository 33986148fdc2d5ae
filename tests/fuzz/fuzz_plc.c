/* libFuzzer target: the receiver's deep PLC (csrc/receiver/deep_plc.c)
 * driven by a hostile sequence of calls.
 *
 * The receiver feeds the deep PLC whatever the system decoder produced
 * (any int16 audio), DRED features decoded from packets that arrive (queued
 * with fec_add / skips, cleared), and concealment requests in any pattern of
 * losses.  This target plays such a sequence, read from the input as ops:
 *
 *   op byte & 7:
 *     0, 1  update with one 10 ms frame: 320 input bytes as int16 (op 0), or
 *           generated from the next 2 bytes (op 1: silence, full-scale
 *           square, sine, clipped noise at a chosen level);
 *     2, 3  conceal one frame (the frequent case);
 *     4     fec_add one feature frame: 20 values in [-16, 16) from 20 bytes
 *           (DRED features are finite and of that order; a raw-float mode
 *           is behind FUZZ_PLC_RAW_FEATURES=1, see below);
 *     5     fec_add NULL (a skip), 1..4 times;
 *     6     fec_clear, or (op bit 3) reset / (op bit 4) full init;
 *     7     "peek": conceal 1..4 frames on a copy (what the binding does for
 *           the receiver's fade) and check the live state is untouched.
 * At most MAX_OPS ops per input (a burst start re-analyses up to 15 frames:
 * keep each input in the millisecond range).
 *
 * The same sequence runs on every SIMD ISA the CPU supports (AVX2, AVX-512),
 * on separate states.  The scalar path is left out by default: it costs 3x
 * the two others together (its bit-identity with them is checked by
 * tests/c and fuzz_packet_dred); DREDFAST_FUZZ_ISAS=scalar,avx2,avx512 adds
 * it.
 * Checked after every op (a violation traps):
 *   - queue / position invariants: 0 <= fec_read_pos <= fec_fill_pos <= 104,
 *     fec_skip >= 0, 0 <= analysis_pos, predict_pos <= 15 frames, blend 0/1,
 *     loss_count >= 0;
 *   - fec_add returns -1 exactly when the queue is full, and then queues
 *     nothing;
 *   - all ISAs produce bit-identical audio and states (the core's promise);
 *   - the state's floats (history, features, network) stay finite;
 *   - peek leaves the live state bit-identical.
 * ASan/UBSan watch everything else (the scalar kernels are built without
 * them, as in fuzz_packet_dred; see build.sh).
 *
 * FUZZ_PLC_RAW_FEATURES=1 makes op 4 take 20 raw float32 (any bit pattern:
 * NaN, inf, 1e38).  The receiver never queues such values (DRED features are
 * finite by construction, checked by fuzz_packet_dred), so in that mode only
 * crashes and UB count, not the finiteness/ISA checks.
 *
 * Environment: DREDFAST_BLOB (default: the packaged blob, set at build time),
 * DREDFAST_FUZZ_ISAS (comma list among scalar,avx2,avx512; default: avx2 and
 * avx512 where supported, scalar where neither is). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/dredfast.h"
#define FUZZ_NAME "fuzz_plc"
#include "fuzz_util.h"
#include "receiver/deep_plc.h"

#define MAX_OPS 48
#define FRAME DF_DPLC_FRAME
#define NF DF_DPLC_FEATURES

static df_blob *g_blob; /* lives as long as the process: the model points into it */
static df_deep_plc_model *g_model;
static const df_kernels *g_k[DF_ISA_COUNT];
static df_deep_plc_state *g_st[DF_ISA_COUNT], *g_scratch;
static int g_nk;
static int g_raw;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];
    (void)argc;
    (void)argv;
    g_blob = fuzz_load_blob();
    g_model = (df_deep_plc_model *)malloc(sizeof *g_model);
    if (!g_model || df_deep_plc_model_init(g_model, g_blob, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_plc: deep PLC model: %s\n", err);
        abort();
    }
    for (int isa = 0; isa < DF_ISA_COUNT; isa++) {
        if (!df_isa_supported((df_isa)isa) || !fuzz_isa_wanted(isa, 1)) continue;
        g_k[g_nk] = df_kernels_get((df_isa)isa);
        g_st[g_nk] = (df_deep_plc_state *)malloc(sizeof(df_deep_plc_state));
        if (!g_k[g_nk] || !g_st[g_nk]) abort();
        fprintf(stderr, "fuzz_plc: state %d uses %s\n", g_nk, g_k[g_nk]->name);
        g_nk++;
    }
    g_scratch = (df_deep_plc_state *)malloc(sizeof(df_deep_plc_state));
    if (g_nk == 0 || !g_scratch) abort();
    g_raw = getenv("FUZZ_PLC_RAW_FEATURES") && atoi(getenv("FUZZ_PLC_RAW_FEATURES")) == 1;
    return 0;
}

/* Byte reader that yields zeros past the end. */
typedef struct {
    const uint8_t *p;
    size_t n, i;
} reader;

static unsigned next(reader *r) { return r->i < r->n ? r->p[r->i++] : 0; }

static int all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

static void check_state(const df_deep_plc_state *st)
{
    CHECK(0 <= st->fec_read_pos && st->fec_read_pos <= st->fec_fill_pos && st->fec_fill_pos <= DF_DPLC_MAX_FEC);
    CHECK(st->fec_skip >= 0);
    CHECK(0 <= st->analysis_pos && st->analysis_pos <= DF_DPLC_BUF);
    CHECK(0 <= st->predict_pos && st->predict_pos <= DF_DPLC_BUF);
    CHECK(st->blend == 0 || st->blend == 1);
    CHECK(st->loss_count >= 0);
    CHECK(st->analysis_gap == 0 || st->analysis_gap == 1);
    if (!g_raw) {
        CHECK(all_finite(st->pcm, DF_DPLC_BUF));
        CHECK(all_finite(st->features, NF));
        CHECK(all_finite(st->cont_features, DF_DPLC_CONT_VECTORS * NF));
        CHECK(all_finite((const float *)&st->net, sizeof(st->net) / sizeof(float)));
    }
}

static void make_frame(reader *r, unsigned op, int16_t *pcm)
{
    if ((op & 7) == 0) {
        for (int i = 0; i < FRAME; i++) {
            unsigned lo = next(r), hi = next(r);
            pcm[i] = (int16_t)(uint16_t)(lo | hi << 8);
        }
        return;
    }
    unsigned kind = next(r) & 3, level = next(r);
    float amp = level == 255 ? 32767.f : (float)level * 128.f;
    for (int i = 0; i < FRAME; i++) {
        float v = 0;
        if (kind == 1) v = (i / (8 + (level & 31))) & 1 ? amp : -amp;
        if (kind == 2) v = amp * sinf(0.0625f * (float)(1 + (level & 15)) * (float)i);
        if (kind == 3) v = amp * (float)((int)((i * 2654435761u + level) >> 20 & 255) - 128) / 128.f;
        pcm[i] = (int16_t)(v > 32767.f ? 32767 : v < -32768.f ? -32768 : v);
    }
}

static void read_features(reader *r, float *f)
{
    for (int i = 0; i < NF; i++) {
        if (g_raw) {
            uint32_t bits = next(r) | next(r) << 8 | next(r) << 16 | (uint32_t)next(r) << 24;
            memcpy(&f[i], &bits, sizeof bits);
        } else {
            f[i] = ((float)next(r) - 128.f) / 8.f; /* [-16, 16) in steps of 1/8 */
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size, 0};
    int16_t pcm[FRAME], out[DF_ISA_COUNT][FRAME];
    float feat[NF];

    for (int s = 0; s < g_nk; s++) df_deep_plc_init(g_st[s]);
    for (int nops = 0; nops < MAX_OPS && r.i < r.n; nops++) {
        unsigned op = next(&r);
        switch (op & 7) {
        case 0:
        case 1:
            make_frame(&r, op, pcm);
            for (int s = 0; s < g_nk; s++) df_deep_plc_update(g_st[s], pcm);
            break;
        case 2:
        case 3:
            for (int s = 0; s < g_nk; s++) df_deep_plc_conceal(g_model, g_k[s], g_st[s], out[s]);
            for (int s = 1; s < g_nk && !g_raw; s++) CHECK(memcmp(out[0], out[s], sizeof out[0]) == 0);
            break;
        case 4:
            read_features(&r, feat);
            for (int s = 0; s < g_nk; s++) {
                int full = g_st[s]->fec_fill_pos >= DF_DPLC_MAX_FEC, fill = g_st[s]->fec_fill_pos;
                int rc = df_deep_plc_fec_add(g_st[s], feat);
                CHECK(rc == (full ? -1 : 0));
                CHECK(g_st[s]->fec_fill_pos == fill + !full);
            }
            break;
        case 5:
            for (unsigned n = 1 + (op >> 3 & 3); n > 0; n--)
                for (int s = 0; s < g_nk; s++) CHECK(df_deep_plc_fec_add(g_st[s], NULL) == 0);
            break;
        case 6:
            for (int s = 0; s < g_nk; s++) {
                if (op & 16)
                    df_deep_plc_init(g_st[s]);
                else if (op & 8)
                    df_deep_plc_reset(g_st[s]);
                else
                    df_deep_plc_fec_clear(g_st[s]);
            }
            break;
        case 7:
            for (int s = 0; s < g_nk; s++) {
                static df_deep_plc_state before;
                memcpy(&before, g_st[s], sizeof before);
                memcpy(g_scratch, g_st[s], sizeof *g_scratch);
                for (unsigned n = 1 + (op >> 3 & 3); n > 0; n--)
                    df_deep_plc_conceal(g_model, g_k[s], g_scratch, out[s]);
                CHECK(memcmp(&before, g_st[s], sizeof before) == 0);
                check_state(g_scratch);
            }
            for (int s = 1; s < g_nk && !g_raw; s++) CHECK(memcmp(out[0], out[s], sizeof out[0]) == 0);
            break;
        }
        for (int s = 0; s < g_nk; s++) check_state(g_st[s]);
        /* Same inputs, same promise of bit-identical paths: whole states agree
         * (they have no pointers and are fully initialised by init). */
        for (int s = 1; s < g_nk && !g_raw; s++) CHECK(memcmp(g_st[0], g_st[s], sizeof(df_deep_plc_state)) == 0);
    }
    return 0;
}
