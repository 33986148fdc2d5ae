/* The receiver's state machine (see receiver.h for the design). */
#include "receiver.h"

#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define DF_RX_PI 3.14159265358979323846
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../libopus/opus_lib.h"
#include "../packet/opus_packet.h"
#include "pcm16.h"
#include "resampler.h"

#define F16 DF_DPLC_FRAME           /* 10 ms at 16 kHz: the PLC's step */
#define NF DF_DPLC_FEATURES
#define HALF_WIDTH 32               /* resampling filters' half length at the lower rate */
#define P16_CAP 16384               /* PLC-timeline signal kept (about 1 s) */
#define P16_KEEP 8192
#define HIST_FRAMES 16              /* 10 ms frames of history the PLC can use (15) + 1 */
#define OH_CAP (4 * DF_RX_MAX_FRAME)
#define DRED_CACHE 4096             /* DRED packets up to this size are cached */
/* FARGAN samples past the output's position in the fade's continuation (the
 * rest of the fade repeats its last pitch period; at least what the shadow
 * encoder reads is synthesised).  Measured on the dev set (24 clips x 5
 * traces, 16 kHz), 10 ms against 5 ms: after DRED PESQ-WB / PLCMOS 2.213 /
 * 3.722 vs 2.212 / 3.719, PLC and LBRR unchanged; 1.6 % fewer receiver
 * instructions on the lossgen 20 % trace. */
#define CONT_FARGAN (F16 / 2)
#define MAX_PACKET 1500
#define DRED_CATCHUP 2              /* network steps over the history before a DRED burst (see conceal) */
#define HYBRID_PLC_KEEP 2           /* hybrid gap frames through the decoder's own PLC (see conceal) */
#define HF_HIST (3 * 48000 / 100) /* 30 ms at the highest output rate */
#define HF_FLOOR_DRED 0.316f      /* -10 dB: the high-band fill's floor in a DRED gap (see hf_next) */
#define HF_FLOOR_PLC 0.05f        /* -26 dB: in a gap without DRED */
#define JOIN_DIV 400              /* a gap's first 2.5 ms continue the played audio (see join_gap) */
#define JOIN_MAX (48000 / JOIN_DIV)

struct df_receiver {
    df_receiver_config cfg;
    const df_deep_plc_model *model;
    const df_kernels *k;
    const df_dred_decoder *dredec;
    df_opus_lib lib;
    void *dec, *enc;
    /* stereo: a copy of the system decoder stepped through a lost frame by its
     * own PLC, for the side signal; probe_ahead: it is `dec` after the pending
     * frame's PLC step (so that step is a swap) */
    void *probe;
    void *fut;          /* look-ahead: a copy of `dec` that decodes the packet after a gap */
    /* dec_size: libopus's decoder (opus_size) and, after it, dec16's soft-clip
     * memory, so that a memcpy of a decoder copies both */
    int dec_size, opus_size, probe_ahead;
    int enc_size;       /* libopus's encoder state (shadow) */
    int fast16; /* dec16 may decode in float (a float build of libopus) */
    int enc_lookahead;
    df_deep_plc_state *plc, *snap, *scratch;

    /* rates */
    int fs, ch, identity;
    df_resampler down, up;
    df_resampler up_hist; /* 24/48 kHz: the sinc filter (up itself is SILK-shaped there) */
    const df_resampler *up_sinc; /* the sinc filter from 16 kHz: up_hist at 24/48 kHz, else up */
    const df_resampler *up_play; /* the gap's: up after SILK / hybrid packets, up_sinc after CELT ones */
    int64_t t_out;      /* output samples per channel so far */

    /* played output at the output rate, mono (input of the down filter) */
    float oh_mem[DF_RS_MAX_TAPS + OH_CAP];
    float *oh;          /* oh_mem after a zero prefix (see df_receiver_create) */
    int64_t oh_t0;      /* output index of oh[0] */
    int oh_n;
    int64_t s_next;     /* next 16 kHz history sample to compute */

    /* PLC timeline: everything the PLC has seen or produced, by PLC index */
    float p16_mem[DF_RS_MAX_TAPS + P16_CAP];
    float *p16;         /* p16_mem after a zero prefix */
    int64_t p16_base, p16_end;
    int16_t fb[F16];    /* history samples waiting for a whole 10 ms frame */
    int fb_n;
    int64_t plc_pos;    /* PLC index after the PLC's last update / concealment */
    int64_t snap_pos;   /* PLC index of the saved state (-1: none) */

    /* stream state */
    int frame;          /* output samples per channel of the last frame */
    int started, concealed, conceal_dred, shadowed;
    float xf[DF_RX_MAX_FADE];
    float xfh[DF_RX_MAX_FADE]; /* the same continuation through up_sinc (see render_hist) */
    int xf_hist;        /* 1: xfh holds it (else the history takes xf) */
    int xf_len, xf_pos;
    const float *fade_tab;
    float fades[4][DF_RX_MAX_FADE];

    /* shadow re-encoding */
    int silk_bw;        /* SILK bandwidth (OPUS_BANDWIDTH_*) of the last packet, 0 if not SILK-only */
    int hybrid, pend_hybrid; /* the last packet / the pending frame's was hybrid */
    int pend_n;         /* 16 kHz samples of the concealed frame waiting for its packet (0: none) */
    int64_t pend_pos;   /* its PLC index */
    int pend_frame;     /* its output frame size */
    int skipped_frame;  /* output frame size of the last concealed frame the system decoder skipped (0: none) */
    int pend_bw, enc_bw, in_gap;
    int gap_plc;        /* frames of this gap through the decoder's own PLC */

    /* DRED of the last lookahead packet parsed */
    uint8_t dpkt[DRED_CACHE];
    int32_t dlen;       /* -1: nothing cached */
    int dvalid, doffset, dlatents;
    int dtrunc;         /* 1: parsed to less than max_dred_ms, and it had more */
    df_dred_data ddata;
    float dfeat[DF_DPLC_MAX_FEC * NF];

    /* stereo: level of each channel against the mix over the last decoded frame */
    float ch_energy[2], mix_energy, ch_gain[2];
    /* stereo gap without DRED: mid from our concealment, side from the system
     * decoder's PLC (needs `probe`); -1 until the gap's first frame decides */
    int side_gap;
    float xs[DF_RX_MAX_FADE]; /* side under the fade back into decoded audio */
    int xs_len;
    /* high band (above 8 kHz) during a gap: the last frame's, decaying */
    int hf_on;           /* 1: output rate has a band above 8 kHz to fill */
    float hp_b[2][3], hp_a[2][2]; /* 4th-order Butterworth high-pass at 8.5 kHz, two biquads */
    float hf_buf[2][DF_RX_MAX_FADE]; /* [0]: mono; stereo: one per channel */
    int hf_len, hf_pos, hf_dir;
    /* stereo: the newest 30 ms of each played channel (a ring), so that each
     * channel's gap is filled with its own high band: the two channels' bands
     * above 8 kHz are far from equal (a mix of them sits about 6 dB LSD-HF from
     * either channel on vectors48's st64 streams) */
    float och[2][HF_HIST];
    int och_w, och_n;
    float hf_gain, hf_floor;
    float hf_decay;     /* per output sample: 1.5 dB per 20 ms */

    /* look-ahead steering of the PLC (see steer_plan) */
    int64_t steer_g;    /* PLC index of the gap end the target was made for (-1: none) */
    df_analysis_state steer_enc;
    float fut_mono[DF_RX_MAX_FRAME];

    int16_t pcm16[DF_RX_MAX_FRAME * 2];
    float pcmf[DF_RX_MAX_FRAME * 2]; /* dec16's float decode */
    float tmp[DF_RX_MAX_FRAME + 64];
    float tmp_h[DF_RX_MAX_FRAME];
    float hbuf[DF_RX_MAX_FRAME]; /* a mono gap's high-band fill, per sample */
    float stmp[2048];   /* scratch: history_catch_up's 16 kHz samples, hf_capture's unrolled ring */
    float sh2[2 * 1920]; /* stereo shadow input: up to 120 ms at 16 kHz, two channels */
    df_receiver_stats stats;
};

/* ---------------------------------------------------------------- helpers */

static int16_t to_i16(float v) { return df_to_i16(v); }

/* libopus's FLOAT2INT16 (float builds): scale, clamp, round to nearest even. */
static inline int16_t opus_float2int16(float x)
{
    x *= 32768.f;
    x = x > -32768.f ? x : -32768.f;
    x = x < 32767.f ? x : 32767.f;
    return (int16_t)lrintf(x);
}

/* opus_decode into pcm16, bit for bit.  A float build of libopus decodes
 * 16-bit output as opus_decode_float, then opus_pcm_soft_clip with a memory
 * kept in the decoder, then FLOAT2INT16 (src/opus_decoder.c, 1.3 to 1.6).
 * Done here in those steps, the soft clip runs only when it can change
 * something -- a sample beyond +-1 or a memory left by the last frame (its
 * pass over every sample was 2 % of the receiver at 48 kHz) -- with the
 * memory at the end of our copy of the decoder.  A fixed-point libopus
 * (version string "-fixed") rounds differently: its own opus_decode then. */
static int dec16(df_receiver *rx, void *st, const uint8_t *pkt, int32_t len, int n, int fec)
{
    if (!rx->fast16) return rx->lib.decode(st, pkt, len, rx->pcm16, n, fec);
    float *mem = (float *)((char *)st + rx->opus_size);
    const int ret = rx->lib.decode_float(st, pkt, len, rx->pcmf, n, fec);
    if (ret <= 0) return ret;
    const int cnt = ret * rx->ch;
    /* |x| > 1 (or NaN) as integers: the bits without the sign above 1.0f's;
     * a max over them vectorises, an early exit would not */
    uint32_t top = 0;
    for (int i = 0; i < cnt; i++) {
        uint32_t b;
        memcpy(&b, &rx->pcmf[i], sizeof b);
        b &= 0x7fffffffu;
        top = b > top ? b : top;
    }
    if (top > 0x3f800000u || mem[0] != 0.f || mem[1] != 0.f) rx->lib.pcm_soft_clip(rx->pcmf, ret, rx->ch, mem);
    int i = 0;
#ifdef __SSE2__
    /* cvtps rounds as lrintf does (nearest even, the default mode) */
    const __m128 sc = _mm_set1_ps(32768.f), lo = _mm_set1_ps(-32768.f), hi = _mm_set1_ps(32767.f);
    for (; i + 8 <= cnt; i += 8) {
        __m128 a = _mm_min_ps(_mm_max_ps(_mm_mul_ps(_mm_loadu_ps(rx->pcmf + i), sc), lo), hi);
        __m128 b = _mm_min_ps(_mm_max_ps(_mm_mul_ps(_mm_loadu_ps(rx->pcmf + i + 4), sc), lo), hi);
        _mm_storeu_si128((__m128i *)(rx->pcm16 + i), _mm_packs_epi32(_mm_cvtps_epi32(a), _mm_cvtps_epi32(b)));
    }
#endif
    for (; i < cnt; i++) rx->pcm16[i] = opus_float2int16(rx->pcmf[i]);
    return ret;
}

/* 16 kHz samples in n output samples (frames are multiples of 2.5 ms). */
/* n output samples in 16 kHz samples.  int64: an output position passes
 * 2^31 samples at 16 kHz after 37 hours, and a call may last that long. */
static int64_t to16(const df_receiver *rx, int64_t n) { return n * 16000 / rx->fs; }

static float *p16_at(df_receiver *rx, int64_t idx) { return rx->p16 + (idx - rx->p16_base); }

/* Makes room for n more PLC-timeline samples, keeping the newest P16_KEEP. */
static void p16_room(df_receiver *rx, int n)
{
    int64_t used = rx->p16_end - rx->p16_base;
    if (used + n <= P16_CAP) return;
    int64_t drop = used - P16_KEEP;
    if (drop <= 0) return;
    memmove(rx->p16, rx->p16 + drop, (size_t)(used - drop) * sizeof(float));
    rx->p16_base += drop;
}

static void p16_append(df_receiver *rx, const float *x, int n)
{
    p16_room(rx, n);
    memcpy(rx->p16 + (rx->p16_end - rx->p16_base), x, (size_t)n * sizeof(float));
    rx->p16_end += n;
}

/* ------------------------------------------------------- history (16 kHz) */

/* History samples for the PLC (PLC indices plc_pos + fb_n onwards), in
 * [-1, 1]: kept at 16 bits, as the PLC sees decoded audio, in whole 10 ms
 * frames for its update and on the PLC timeline. */
static void feed_plc(df_receiver *rx, const float *x, int n)
{
    p16_room(rx, n);
    float *t = p16_at(rx, rx->p16_end);
    while (n > 0) {
        int m = F16 - rx->fb_n;
        if (m > n) m = n;
        for (int i = 0; i < m; i++) {
            int16_t v = to_i16(x[i]);
            rx->fb[rx->fb_n + i] = v;
            t[i] = v * (1.f / 32768.f);
        }
        rx->fb_n += m;
        rx->p16_end += m;
        x += m;
        t += m;
        n -= m;
        if (rx->fb_n == F16) {
            df_deep_plc_update(rx->plc, rx->fb);
            rx->plc_pos += F16;
            rx->fb_n = 0;
        }
    }
}

/* Feeds the PLC every history sample that has become computable and that it
 * has not covered itself.  Only the last HIST_FRAMES 10 ms frames matter to
 * the PLC (its history buffer and analysis look no further back), so older
 * ones are fed as silence without being filtered: the state is the same. */
static void history_catch_up(df_receiver *rx)
{
    if (rx->identity) return; /* fed as played */
    /* Every history sample up to the output's position: those whose filter
     * reaches past the newest output get a one-sided estimate, so that the
     * PLC's history ends exactly where the played audio does and its
     * continuation joins it without a lag. */
    const int64_t last = to16(rx, rx->t_out) - 1;
    const int64_t exact = df_resampler_last_output(&rx->down, rx->oh_t0 + rx->oh_n - 1);
    int64_t keep_from = last + 1 - (int64_t)HIST_FRAMES * F16;
    /* Whole PLC frames that end before keep_from: silence, not filtered
     * (their input may already be gone from oh). */
    static const int16_t zeros[F16];
    static const float zf[F16];
    if (rx->fb_n == 0) {
        /* Beyond HIST_FRAMES silent updates the state no longer changes: jump. */
        int64_t n = (keep_from - rx->plc_pos) / F16 - (HIST_FRAMES + 1);
        if (n > 0) {
            rx->plc_pos += n * F16;
            rx->p16_base = rx->p16_end = rx->plc_pos;
        }
    }
    while (rx->fb_n == 0 && rx->plc_pos + F16 <= keep_from) {
        df_deep_plc_update(rx->plc, zeros);
        p16_append(rx, zf, F16);
        rx->plc_pos += F16;
    }
    if (rx->s_next < rx->plc_pos + rx->fb_n) rx->s_next = rx->plc_pos + rx->fb_n;
    while (rx->s_next <= last) {
        int cnt = (int)(last - rx->s_next + 1);
        if (cnt > (int)(sizeof(rx->stmp) / sizeof(float))) cnt = (int)(sizeof(rx->stmp) / sizeof(float));
        int full = rx->s_next <= exact ? (int)(exact - rx->s_next + 1) : 0;
        if (full > cnt) full = cnt;
        if (full) df_resample(&rx->down, rx->oh, rx->oh_t0, rx->s_next, full, rx->stmp);
        if (cnt > full)
            df_resample_edge(&rx->down, rx->oh, rx->oh_t0, rx->oh_t0 + rx->oh_n, rx->s_next + full, cnt - full,
                             rx->stmp + full);
        /* samples before the PLC's position are covered by its own output */
        int64_t skip = rx->plc_pos + rx->fb_n - rx->s_next;
        if (skip < 0) skip = 0;
        if (skip < cnt) feed_plc(rx, rx->stmp + skip, cnt - (int)skip);
        rx->s_next += cnt;
    }
}

/* Appends played output (mono, [-1, 1]).  At 16 kHz it is the PLC's history
 * as it is; at other rates it waits in `oh` until a loss needs it. */
static void history_push(df_receiver *rx, const float *mono, int n)
{
    if (rx->identity) {
        /* PLC index = output index; samples before the PLC's position are its own output */
        int64_t skip = rx->plc_pos + rx->fb_n - rx->t_out;
        if (skip < 0) skip = 0;
        if (skip < n) feed_plc(rx, mono + skip, n - (int)skip);
        return;
    }
    if (rx->oh_n + n > OH_CAP) {
        /* Keep what the PLC may still need (HIST_FRAMES frames and the filter's
         * reach), dropping the rest; whatever falls off is fed as silence. */
        int64_t keep = (int64_t)(HIST_FRAMES + 1) * F16 * rx->down.M / rx->down.L + 2 * rx->down.width;
        int64_t drop = rx->oh_n - keep;
        if (drop > 0) {
            memmove(rx->oh, rx->oh + drop, (size_t)(rx->oh_n - drop) * sizeof(float));
            rx->oh_t0 += drop;
            rx->oh_n -= (int)drop;
        }
    }
    memcpy(rx->oh + rx->oh_n, mono, (size_t)n * sizeof(float));
    rx->oh_n += n;
}

/* ------------------------------------------------------------------ DRED */

static int64_t dred_base(const df_receiver *rx, int64_t gap);

/* Parses the DRED of pkt to max_ms (as opus_dred_parse's max_dred_samples)
 * and decodes its features into the cache. */
static void dred_parse(df_receiver *rx, const uint8_t *pkt, int32_t len, int max_ms)
{
    df_dred_location loc;
    int ret = df_dred_decoder_parse(rx->dredec, pkt, len, max_ms, &loc, &rx->ddata);
    rx->dvalid = 0;
    rx->dtrunc = 0;
    if (ret == 0 && loc.skipped_version >= 0) rx->stats.dred_unknown_version++;
    if (ret == 1) {
        /* libopus's opus_dred_parse return at 16 kHz: latents*640 - offset*40 (C division) */
        int64_t samples = (int64_t)rx->ddata.nb_latents * 16000 / 25 - (int64_t)rx->ddata.dred_offset * 16000 / 400;
        /* a shorter parse than max_dred_ms that left latents out */
        rx->dtrunc = max_ms < rx->cfg.max_dred_ms && rx->ddata.cut;
        if (samples > 0 && rx->ddata.nb_latents > 0) {
            df_dred_decoder_features(rx->dredec, &rx->ddata, rx->dfeat);
            rx->doffset = rx->ddata.dred_offset;
            rx->dlatents = rx->ddata.nb_latents;
            rx->dvalid = 1;
        }
    }
}

/* The DRED of a lookahead packet (cached), as far back as `reach` 16 kHz
 * samples before the packet: the gap it may fill.  Decoding only the
 * latents that reach the gap is what an application on libopus does
 * (opus_dred_parse with max_dred_samples = the gap, as in the reference
 * bench), and the features come out the same: the decoder runs from the
 * newest latent back, so a shorter parse is a prefix of the longer one.
 * All of max_dred_ms was parsed before: on the lossgen 20 % trace 3.6 % of
 * the receiver's instructions, for latents no frame used.  When the guess
 * falls short (an offset beyond one latent) or a later call reaches further
 * back with the same packet, it is parsed again to max_dred_ms, so the rows
 * used are always those of the whole parse.  1 when it reaches back
 * (samples > 0). */
static int dred_for(df_receiver *rx, const uint8_t *pkt, int32_t len, int64_t reach)
{
    const int cached = rx->dlen == len && len <= DRED_CACHE && memcmp(rx->dpkt, pkt, (size_t)len) == 0;
    if (!cached) {
        /* the gap, one latent (40 ms) for the offset, rounded up to 10 ms */
        int64_t ms = (reach + 15) / 16 + 40;
        dred_parse(rx, pkt, len, ms < rx->cfg.max_dred_ms ? (int)ms : rx->cfg.max_dred_ms);
    }
    /* rows up to dred_base(reach) must be there (dred_rows) */
    if (rx->dtrunc && (!rx->dvalid || dred_base(rx, reach) > 4 * (int64_t)rx->dlatents - 1))
        dred_parse(rx, pkt, len, rx->cfg.max_dred_ms);
    if (!cached) {
        if (len <= DRED_CACHE) {
            memcpy(rx->dpkt, pkt, (size_t)len);
            rx->dlen = len;
        } else {
            rx->dlen = -1;
        }
    }
    return rx->dvalid;
}

/* floor((gap + 40 offset) / 160): where the DRED rows of a PLC frame that
 * starts `gap` samples before the DRED packet begin (see dred_rows). */
static int64_t dred_base(const df_receiver *rx, int64_t gap)
{
    int64_t num = gap + 40 * (int64_t)rx->doffset;
    return num >= 0 ? num / F16 : -((-num + F16 - 1) / F16);
}

/* libopus 1.6.1's feature rows for one lost 10 ms PLC frame that starts
 * `gap` samples (16 kHz) before the DRED packet (opus_decode_native with
 * frame_size 10 ms): row init - i - 2 + floor((gap + 40 offset) / 160) for
 * i = 0..init (init = 2 at the start of a burst).  Rows past the decoded ones
 * are skips (predicted), negative rows are left out.  With queue != 0 they
 * replace the PLC's queue.  Returns the number of real rows. */
static int dred_rows(df_receiver *rx, int64_t gap, int queue)
{
    int init = rx->plc->blend ? 0 : 2;
    int64_t base = dred_base(rx, gap);
    int real = 0;
    if (queue) df_deep_plc_fec_clear(rx->plc);
    for (int i = 0; i <= init; i++) {
        int64_t r = init - i - 2 + base;
        if (r >= 0 && r <= 4 * rx->dlatents - 1) {
            real++;
            if (queue) df_deep_plc_fec_add(rx->plc, rx->dfeat + r * NF);
        } else if (r >= 0 && queue) {
            df_deep_plc_fec_add(rx->plc, NULL);
        }
    }
    return real;
}

/* ---------------------------------------------------------- concealment */

/* Look-ahead into DRED.  A gap longer than the DRED of the packet after it
 * reaches back starts with PLC frames; they are steered to land on the
 * oldest DRED frame, which follows them (dpos: the DRED packet's PLC index). */
static void steer_to_dred(df_receiver *rx, int64_t dpos)
{
    if (rx->steer_g == dpos) return;
    rx->steer_g = dpos;
    df_deep_plc_steer(rx->plc, NULL, 0);
    int saved = rx->plc->blend;
    rx->plc->blend = 1; /* as for any PLC frame after the burst's first */
    int64_t p = rx->p16_end;
    while (p < dpos && dred_rows(rx, dpos - p, 0) == 0) p += F16;
    rx->plc->blend = saved;
    if (p >= dpos) return;
    int64_t r = dred_base(rx, dpos - p) - 2; /* the row that frame takes (dred_rows, init 0) */
    if (r > 4 * rx->dlatents - 1) r = 4 * rx->dlatents - 1;
    if (r < 0) r = 0;
    df_deep_plc_steer(rx->plc, rx->dfeat + r * NF, (int)((p - rx->p16_end) / F16));
}

static int packet_samples(const df_receiver *rx, const uint8_t *pkt, int32_t len);

/* Look-ahead PLC.  The first packet after the gap, whose audio starts at PLC
 * index g, is decoded on a copy of the system decoder (lbrr: its LBRR frame,
 * which will fill the slot before it, so that the PLC frames before that
 * land on the LBRR audio -- dev set, LBRR stream, PESQ-WB / STOI / PLCMOS:
 * 1.948 / 0.859 / 3.199 steered to the main frame, 1.978 / 0.864 / 3.275 to
 * the LBRR one).  The analysis (a copy of the PLC's own, which is at the end
 * of the history) is run over its first 20 ms, and the features of its
 * second 10 ms frame become the target the predicted features are steered
 * to.  Decoding it from the decoder's state before the gap beat decoding it
 * after the decoder's own PLC through the gap (PESQ-WB 1.690 / 1.678, PLCMOS
 * 3.047 / 2.944 on the dev set after PLC).  The first frame only brings the
 * analysis across the gap (its window and pitch memory reach into the
 * past).  Packets shorter than 20 ms, or undecodable, steer nothing. */
static void steer_plan(df_receiver *rx, const uint8_t *pkt, int32_t len, int64_t g, int lbrr)
{
    if (rx->steer_g == g) return;
    rx->steer_g = g;
    df_deep_plc_steer(rx->plc, NULL, 0);
    int n = packet_samples(rx, pkt, len);
    if (n <= 0 || to16(rx, n) < 2 * F16) return;
    memcpy(rx->fut, rx->dec, (size_t)rx->dec_size);
    if (lbrr) {
        /* the LBRR frame of the slot before the packet: its audio is what the gap ends on */
        n = rx->frame;
        if (to16(rx, n) < 2 * F16) return;
        if (dec16(rx, rx->fut, pkt, len, n, 1) != n) return;
        g -= to16(rx, n);
    } else if (dec16(rx, rx->fut, pkt, len, n, 0) != n) return;
    float *m = rx->fut_mono, x[2 * F16];
    const float sc = 1.f / 32768.f;
    for (int i = 0; i < n; i++)
        m[i] = rx->ch == 1 ? rx->pcm16[i] * sc : .5f * sc * ((float)rx->pcm16[2 * i] + rx->pcm16[2 * i + 1]);
    if (rx->identity) {
        memcpy(x, m, sizeof(x));
    } else {
        /* 16 kHz samples whose filter would reach before the packet are left
         * at zero (they are early in the warm-up frame); those reaching past
         * its end get the one-sided estimate. */
        int s0 = 0;
        while ((int64_t)s0 * rx->down.M / rx->down.L - rx->down.width + 1 < 0) s0++;
        int64_t s1 = df_resampler_last_output(&rx->down, n - 1) + 1;
        if (s1 > 2 * F16) s1 = 2 * F16;
        memset(x, 0, sizeof(x));
        if (s1 > s0) df_resample(&rx->down, m, 0, s0, (int)(s1 - s0), x + s0);
        if (s1 < 2 * F16) df_resample_edge(&rx->down, m, 0, n, s1, 2 * F16 - (int)s1, x + s1);
    }
    for (int i = 0; i < 2 * F16; i++) x[i] *= 32768.f;
    float feat[NF];
    df_deep_plc_prepare(rx->model, rx->k, rx->plc);
    rx->steer_enc = rx->plc->enc;
    df_analysis_frame(&rx->model->analysis, rx->k, &rx->steer_enc, x, feat, NULL);
    df_analysis_frame(&rx->model->analysis, rx->k, &rx->steer_enc, x + F16, feat, NULL);
    /* The target frame is [g + F16, g + 2 F16); the next concealed one starts at p16_end. */
    int64_t at = (g + F16 - rx->p16_end + F16 / 2) / F16;
    df_deep_plc_steer(rx->plc, feat, (int)at);
}

/* Conceals 10 ms frames on `st` until the PLC timeline reaches `end`; the
 * state at next_boundary (-1: none) is saved for resume() to rewind to.
 * dred_pos: PLC index of the DRED packet (content), or -1. */
static void conceal_until(df_receiver *rx, df_deep_plc_state *st, int64_t end, int64_t next_boundary,
                          int64_t dred_pos)
{
    int16_t pcm[F16];
    float f[F16];
    while (rx->p16_end < end) {
        if (st == rx->plc && rx->p16_end == next_boundary) {
            memcpy(rx->snap, rx->plc, sizeof(*rx->plc));
            rx->snap_pos = rx->p16_end;
        }
        if (dred_pos >= 0 && st == rx->plc) dred_rows(rx, dred_pos - rx->p16_end, 1);
        df_deep_plc_conceal(rx->model, rx->k, st, pcm);
        for (int i = 0; i < F16; i++) f[i] = pcm[i] * (1.f / 32768.f);
        p16_append(rx, f, F16);
        if (st == rx->plc) rx->plc_pos = rx->p16_end;
    }
}

/* The continuation past a gap on the scratch state: whole frames, then only
 * the FARGAN subframes that reach `end` (the state is discarded afterwards,
 * so it may stop mid-frame). */
static void continue_until(df_receiver *rx, int64_t end)
{
    int16_t pcm[F16];
    float f[F16];
    while (rx->p16_end < end) {
        int n = end - rx->p16_end < F16 ? (int)(end - rx->p16_end) : F16;
        n = (n + DF_FARGAN_SUBFRAME - 1) / DF_FARGAN_SUBFRAME * DF_FARGAN_SUBFRAME;
        df_deep_plc_conceal_head(rx->model, rx->k, rx->scratch, pcm, n);
        for (int i = 0; i < n; i++) f[i] = pcm[i] * (1.f / 32768.f);
        p16_append(rx, f, n);
    }
}

/* Extends the PLC timeline to `end` by repeating its last `period` samples. */
static void repeat_period(df_receiver *rx, int period, int64_t end)
{
    if (end <= rx->p16_end) return;
    const int m = (int)(end - rx->p16_end);
    if (period < 32) period = 32; /* FARGAN's shortest; a guard for a fresh state */
    p16_room(rx, m);
    float *t = p16_at(rx, rx->p16_end);
    const int64_t have = rx->p16_end - rx->p16_base;
    if (have < period) {
        /* (not reached after a concealment, which leaves >= 10 ms behind) */
        memset(t, 0, (size_t)m * sizeof(float));
    } else {
        for (int i = 0; i < m; i++) t[i] = t[i - period];
    }
    rx->p16_end += m;
}

/* PLC index one past the last one the up filter reads for output samples
 * [t, t + n). */
static int64_t p16_needed(const df_receiver *rx, int64_t t, int n)
{
    if (rx->identity) return t + n;
    int64_t c = (t + n - 1) * rx->up.M / rx->up.L;
    return c + rx->up.width + 1;
}

/* Output samples [t, t + n) of the PLC-timeline signal at the output rate,
 * through filter r. */
static void render_with(df_receiver *rx, const df_resampler *r, int64_t t, int n, float *y)
{
    if (rx->identity)
        memcpy(y, p16_at(rx, t), (size_t)n * sizeof(float));
    else
        df_resample(r, rx->p16, rx->p16_base, t, n, y);
}

/* Whether the PLC timeline still holds what filter r reads for output
 * samples from t on. */
static int timeline_has(const df_receiver *rx, const df_resampler *r, int64_t t)
{
    return t >= 0 && t * r->M / r->L - r->width + 1 >= rx->p16_base;
}

/* As played: through the gap's filter (up_play). */
static void render(df_receiver *rx, int64_t t, int n, float *y) { render_with(rx, rx->up_play, t, n, y); }

/* The concealment as the PLC's history sees it: through the sinc filter
 * (up_sinc).  What is played after SILK and hybrid packets goes up through
 * the SILK-shaped filter (resampler.c), whose images of the 6-8 kHz band
 * reach 8-9.8 kHz as in libopus's decoded frames; the history's down filter
 * would fold those back into 7.5-8 kHz of the 16 kHz timeline, and that
 * small change, through the PLC network's state, moved the scores of later
 * gaps at random (PLCMOS of 8-run subsets by up to 0.02 either way).  So the
 * history's 16 kHz timeline does not depend on the played images.  1 when it
 * differs from what render() gives (else yh is not written: use the played
 * samples). */
static int render_hist(df_receiver *rx, int64_t t, int n, float *yh)
{
    if (rx->identity || rx->up_play == rx->up_sinc) return 0;
    render_with(rx, rx->up_sinc, t, n, yh);
    return 1;
}

/* ------------------------------------------------------ system decoder */

static int sys_decode(df_receiver *rx, const uint8_t *pkt, int32_t len, int n, int fec)
{
    rx->probe_ahead = 0;
    return dec16(rx, rx->dec, pkt, len, n, fec);
}

/* The system decoder's own PLC for the next n samples, on a copy (the
 * decoder itself does not move); 1 with the stereo output in pcm16. */
static int probe_plc(df_receiver *rx, int n)
{
    if (!rx->probe) return 0;
    memcpy(rx->probe, rx->dec, (size_t)rx->dec_size);
    return dec16(rx, rx->probe, NULL, 0, n, 0) == n;
}

/* Side signal (L - R) / 2 of sample i of interleaved 16-bit stereo, in [-1, 1]. */
static inline float side_of(const int16_t *pcm, int i)
{
    return .5f / 32768.f * ((float)pcm[2 * i] - pcm[2 * i + 1]);
}

/* The pending concealed frame goes through the decoder's own PLC (it is not
 * the last of the gap): the probe already did that step when it was made. */
static void pending_plc(df_receiver *rx)
{
    if (rx->probe_ahead) {
        void *t = rx->dec;
        rx->dec = rx->probe;
        rx->probe = t;
        rx->probe_ahead = 0;
    } else {
        sys_decode(rx, NULL, 0, rx->pend_frame, 0);
    }
}

/* The shadow encoder's input: n samples of the PLC timeline from index s;
 * for a stereo stream the same signal in both channels, so that the shadow
 * packet is a stereo one and the decoder does not switch to mono and back
 * (SILK restarts its side channel at that switch).  Measured against a mono
 * shadow, 12 + 24 clips x 5 traces (vectors48fb, vectors48), st64 after PLC:
 * PLCMOS 2.487 -> 2.504 and 2.920 -> 2.939, PESQ-WB and STOI within 0.002. */
static const float *shadow_input(df_receiver *rx, int64_t s, int n)
{
    const float *x = p16_at(rx, s);
    if (rx->ch == 1) return x;
    for (int i = 0; i < n; i++) rx->sh2[2 * i] = rx->sh2[2 * i + 1] = x[i];
    return rx->sh2;
}

/* The shadow packet of the pending concealed frame, decoded by the system
 * decoder (its own PLC if the encoder refuses).  Needs the PLC timeline up
 * to pend_pos + K + lookahead + pend_n. */
static void shadow_emit(df_receiver *rx)
{
    const int n = rx->pend_n, d = rx->enc_lookahead;
    int64_t start = rx->pend_pos + d; /* encoder input lines the decoded history up with the played audio */
    unsigned char pkt[MAX_PACKET];
    int32_t bytes = -1;
    if (rx->skipped_frame) {
        /* the decoder's PLC for the frame before the shadow one (see conceal) */
        sys_decode(rx, NULL, 0, rx->skipped_frame, 0);
        rx->skipped_frame = 0;
    }
    if (!rx->in_gap || rx->pend_bw != rx->enc_bw) {
        rx->lib.encoder_ctl(rx->enc, DF_OPUS_RESET_STATE);
        rx->lib.encoder_ctl(rx->enc, DF_OPUS_SET_BANDWIDTH, rx->pend_bw);
        rx->enc_bw = rx->pend_bw;
        /* The encoder starts from silence after its reset.  For SILK-only
         * streams it codes the concealed frame straight away: priming it
         * with the played 20 ms before (one more SILK encode per gap) was
         * measured on the dev set (24 clips x 5 traces, 16 kHz, PESQ-WB /
         * PLCMOS), 1 / 0 frames: DRED 2.213 / 3.722 vs 2.214 / 3.723, PLC
         * 1.703 / 3.109 vs 1.701 / 3.103, LBRR 1.981 / 3.274 vs 1.977 /
         * 3.279 (a 10 ms warm-up was worse than none: 1.697 / 3.099 after
         * PLC), for 9 % of the receiver's instructions on the lossgen 20 %
         * trace.  Hybrid streams keep the warm-up: there the shadow packet is
         * a switch to SILK-only and back, and without it fb32 after PLC lost
         * 0.019 PLCMOS (vectors48fb, 12 clips x 5 traces: 2.401 -> 2.382,
         * libopus 2.431; st64 2.503 -> 2.494). */
        if (rx->pend_hybrid && start - n >= rx->p16_base)
            rx->lib.encode_float(rx->enc, shadow_input(rx, start - n, n), n, pkt, MAX_PACKET);
        rx->in_gap = 1;
    }
    if (start >= rx->p16_base && start + n <= rx->p16_end) bytes = rx->lib.encode_float(rx->enc, shadow_input(rx, start, n), n, pkt, MAX_PACKET);
    if (bytes <= 0 || sys_decode(rx, pkt, bytes, rx->pend_frame, 0) < 0) {
        rx->in_gap = 0;
        sys_decode(rx, NULL, 0, rx->pend_frame, 0);
    }
    rx->pend_n = 0;
}

/* --------------------------------------------------------------- resume */

/* Before the first frame decoded after a concealment: sets up the fade from
 * the concealment's continuation, hands the system decoder the last
 * concealed frame (re-encoded) and rewinds the PLC to the output's position. */
static void resume(df_receiver *rx)
{
    if (!rx->concealed) return;
    int slot = (rx->conceal_dred ? 0 : 1) + (rx->shadowed ? 0 : 2);
    int fl = rx->cfg.fade[slot];
    const int64_t P = to16(rx, rx->t_out); /* PLC index of the output's position */
    int64_t need = fl ? p16_needed(rx, rx->t_out, fl) : 0;
    /* FARGAN goes on for CONT_FARGAN samples past the output's position and
     * as far as the shadow encoder reads; the rest of the fade (after DRED: 20 ms)
     * is that continuation's last pitch period repeated, which the fade
     * weighs less and less.  Measured on the dev set (24 clips x 5 traces,
     * 16 kHz) against FARGAN for the whole fade: after DRED PESQ-WB 2.214 vs
     * 2.217, PLCMOS 3.720 vs 3.727, PLC and LBRR unchanged (their fade is
     * 2.5 ms); one FARGAN frame fewer per DRED gap (about 7 % of the
     * receiver's instructions on the lossgen 20 % trace). */
    int64_t synth = P + CONT_FARGAN;
    if (rx->pend_n) {
        int64_t e = rx->pend_pos + rx->enc_lookahead + rx->pend_n;
        if (e > need) need = e;
        /* FARGAN for the shadow encoder's lookahead too: from the repeated
         * period instead measured 2.207 / 3.709 after DRED (dev set, PESQ-WB
         * / PLCMOS) against 2.212 / 3.719 */
        if (e > synth) synth = e;
    }
    if (synth > need) synth = need;
    /* The continuation comes from the PLC going on as if the loss went on,
     * on a scratch copy: the real state must stay where the output is. */
    int64_t real_end = rx->p16_end;
    if (need > rx->p16_end) {
        memcpy(rx->scratch, rx->plc, sizeof(*rx->plc));
        continue_until(rx, synth);
        repeat_period(rx, rx->scratch->fargan.last_period, need);
    }
    rx->xf_hist = 0;
    if (fl) {
        render(rx, rx->t_out, fl, rx->xf);
        rx->xf_hist = render_hist(rx, rx->t_out, fl, rx->xfh);
    }
    rx->xf_len = fl;
    rx->xf_pos = 0;
    rx->fade_tab = rx->fades[slot];
    if (rx->pend_n) shadow_emit(rx);
    rx->in_gap = 0;
    /* Stereo: the side under the fade is the decoder's own PLC going on from
     * where the concealment leaves it (the decoded frame replaces it). */
    rx->xs_len = 0;
    if (fl && rx->side_gap > 0) {
        int q = rx->fs / 400, m = (fl + q - 1) / q * q;
        if (probe_plc(rx, m)) {
            for (int i = 0; i < fl; i++) rx->xs[i] = side_of(rx->pcm16, i);
            rx->xs_len = fl;
        }
    }
    /* Back to the output's position: the state saved at this boundary if the
     * PLC ran ahead of it, else the PLC stays where it is (frames under 10 ms)
     * and the history it already covers is skipped when fed. */
    if (rx->snap_pos == P && rx->plc_pos > P) {
        memcpy(rx->plc, rx->snap, sizeof(*rx->plc));
        rx->plc_pos = P;
        real_end = P;
    }
    rx->p16_end = real_end;
    rx->snap_pos = -1;
    rx->concealed = 0;
}

/* Appends n played stereo samples (interleaved) to the per-channel ring. */
static void stereo_history(df_receiver *rx, const float *out, int n)
{
    if (!rx->hf_on) return;
    int i0 = n > HF_HIST ? n - HF_HIST : 0;
    for (int i = i0; i < n; i++) {
        rx->och[0][rx->och_w] = out[2 * i];
        rx->och[1][rx->och_w] = out[2 * i + 1];
        rx->och_w = rx->och_w + 1 == HF_HIST ? 0 : rx->och_w + 1;
    }
    rx->och_n = rx->och_n + (n - i0) > HF_HIST ? HF_HIST : rx->och_n + (n - i0);
}

/* Output of a decoded frame (pcm16, n per channel): faded in from the
 * concealment if one is ending, then remembered as history. */
static void decoded(df_receiver *rx, int n, float *out)
{
    const int ch = rx->ch;
    const float sc = 1.f / 32768.f;
    for (int i = 0; i < n * ch; i++) out[i] = rx->pcm16[i] * sc;
    float *mono = rx->tmp;
    int faded = 0; /* samples of out whose history version is in mono already */
    if (rx->xf_pos < rx->xf_len) {
        int m = rx->xf_len - rx->xf_pos;
        if (m > n) m = n;
        for (int i = 0; i < m; i++) {
            float f = rx->fade_tab[rx->xf_pos + i], c = rx->xf[rx->xf_pos + i];
            float ch_ = rx->xf_hist ? rx->xfh[rx->xf_pos + i] : c;
            float sd = rx->xf_pos + i < rx->xs_len ? rx->xs[rx->xf_pos + i] : 0.f;
            float hm = 0;
            for (int j = 0; j < ch; j++) {
                float d = out[i * ch + j];
                float v = f * d + (1 - f) * (ch == 2 ? rx->ch_gain[j] * c + (j ? -sd : sd) : c);
                float vh = f * d + (1 - f) * (ch == 2 ? rx->ch_gain[j] * ch_ + (j ? -sd : sd) : ch_);
                /* what is played is what the history remembers: 16-bit
                 * (through the history's own filter, see render_hist) */
                out[i * ch + j] = to_i16(v) * sc;
                hm += to_i16(vh) * sc;
            }
            mono[i] = ch == 2 ? .5f * hm : hm;
        }
        faded = m;
        rx->xf_pos += m;
    }
    if (ch == 1) {
        if (faded)
            memcpy(mono + faded, out + faded, (size_t)(n - faded) * sizeof(float));
        else
            mono = out; /* the history is what was played */
    } else {
        float e0 = 0, e1 = 0, em = 0;
        for (int i = 0; i < n; i++) {
            float l = out[2 * i], r = out[2 * i + 1], m = .5f * (l + r);
            if (i >= faded) mono[i] = m;
            e0 += l * l;
            e1 += r * r;
            em += m * m;
        }
        rx->ch_energy[0] = e0;
        rx->ch_energy[1] = e1;
        rx->mix_energy = em;
        stereo_history(rx, out, n);
    }
    history_push(rx, mono, n);
    rx->t_out += n;
}

/* Per-channel gains for a stereo concealment: the mono concealment at each
 * channel's own level before the gap (clamped to +-6 dB), so that a channel
 * that was louder or quieter than the mix stays so. */
static void stereo_gains(df_receiver *rx)
{
    for (int c = 0; c < 2; c++) {
        float g = rx->mix_energy > 1e-9f ? sqrtf(rx->ch_energy[c] / rx->mix_energy) : 1.f;
        rx->ch_gain[c] = g < .5f ? .5f : g > 2.f ? 2.f : g;
    }
}

/* The band above 8.5 kHz of the newest 20 ms of played output (mono), through
 * the high-pass run over the 10 ms before them first: the fill of a gap. */
static void high_band(const df_receiver *rx, const float *x, int n, int w, float *hf)
{
    float m[2][2] = {{0, 0}, {0, 0}};
    for (int i = 0; i < n + w; i++) {
        float v = x[i];
        for (int k = 0; k < 2; k++) {
            float y = rx->hp_b[k][0] * v + m[k][0];
            m[k][0] = rx->hp_b[k][1] * v - rx->hp_a[k][0] * y + m[k][1];
            m[k][1] = rx->hp_b[k][2] * v - rx->hp_a[k][1] * y;
            v = y;
        }
        if (i >= w) hf[i - w] = v;
    }
}

static void hf_capture(df_receiver *rx)
{
    int n = rx->fs / 50, w = rx->fs / 100;
    rx->hf_len = 0;
    if (rx->ch == 2) {
        if (rx->och_n < n + w) return;
        for (int c = 0; c < 2; c++) {
            float *x = rx->stmp; /* the ring unrolled, oldest first (HF_HIST <= 2048) */
            for (int i = 0; i < n + w; i++) x[i] = rx->och[c][(rx->och_w - (n + w) + i + HF_HIST) % HF_HIST];
            high_band(rx, x, n, w, rx->hf_buf[c]);
        }
    } else {
        if (rx->oh_n < n + w) return;
        high_band(rx, rx->oh + rx->oh_n - n - w, n, w, rx->hf_buf[0]);
    }
    rx->hf_len = n;
    rx->hf_pos = n - 1;
    rx->hf_dir = -1;
}

/* The next sample of the captured high band (h[0]; stereo: h[0], h[1], each
 * channel its own band) for a concealed frame, played
 * back and forth (the turns are continuous, the spectrum is the last frame's),
 * as libopus's hybrid concealment fills the band above 8 kHz with CELT's noise
 * at the last band energies: 6 dB down in the first lost frame, 1.5 dB more
 * per 20 ms after it, down to a floor: -10 dB in a gap that DRED fills (the
 * speech goes on), -26 dB in one without DRED (the PLC fades out).  Measured,
 * fb32 after PLC, floor -20 dB / none / -26 dB: PLCMOS on vectors48fb (real
 * fullband speech, 12 clips x 5 traces) 2.379 / 2.404 / 2.395 (libopus 2.431),
 * LSD-HF on vectors48 (24 clips) 7.90 / 8.22 / 7.99 dB (libopus 7.08); after
 * DRED no floor cost PLCMOS (2.784 -> 2.775) and LSD-HF (6.45 -> 6.94 dB), and
 * a floor of -10 dB instead of -20 dB lowered LSD-HF on every hybrid and SILK
 * stream of both sets (vectors48fb fb32 6.40 -> 5.83, celt64 5.56 -> 5.06, st64
 * 6.26 -> 5.76; vectors48 fb32 7.27 -> 7.20, st64 7.27 -> 7.26, v24 at 48 kHz
 * 7.37 -> 7.30; celt64 4.39 -> 4.44, libopus 5.29), PESQ-WB and PLCMOS within
 * 0.004.
 * (libopus's own high band over the lost frames of the dev clips sits 2-7 dB
 * below the no-loss decode's; a 9 dB / 3 dB decay left ours 6-17 dB below it.)
 * SILK-only streams decoded above 16 kHz get the same fill: above 8 kHz they
 * hold the decoder's resampler images and noise floor, which the neural
 * concealment (16 kHz, brought up by our own filter) leaves empty.  Measured on
 * vectors48's v24 stream at 48 kHz (24 clips x 5 traces) without / with it:
 * after PLC LSD-HF 9.07 / 7.85 dB, PLCMOS 2.977 / 3.092 (libopus 6.92, 3.109);
 * after DRED LSD-HF 7.57 / 7.37 dB (libopus 6.36), PESQ-WB within 0.003. */
static inline void hf_next(df_receiver *rx, float *h)
{
    const float g = rx->hf_gain;
    h[0] = g * rx->hf_buf[0][rx->hf_pos];
    if (rx->ch == 2) h[1] = g * rx->hf_buf[1][rx->hf_pos];
    int next = rx->hf_pos + rx->hf_dir;
    if (next < 0 || next >= rx->hf_len) rx->hf_dir = -rx->hf_dir; /* turn: repeat the end sample */
    else rx->hf_pos = next;
    if (g > rx->hf_floor) rx->hf_gain = g * rx->hf_decay;
}

/* A gap's first output samples continue the played audio.  The concealment
 * is the 16 kHz PLC timeline brought to the output rate, whose history part
 * is the played audio brought down to 16 kHz and up again: at the gap's start
 * it differs from the decoded audio just played by that audio's band above 8
 * kHz and by libopus's SILK resampler against our filter, which left a kink
 * there (at 48 kHz, max |second difference| within 3 samples of the gap's
 * first one above 3x the no-loss decode's there: 26 % of gap starts of
 * vectors48fb fb32 + celt64 under lossgen 20 %, 52 % of v24's; 2 % at 16 kHz,
 * where output and timeline are one).  So the difference over the last
 * JOIN samples before the gap -- played minus the same filter's output of
 * the timeline -- is mirrored into the gap under a half-cosine fade, less the
 * high-band fill, which mirrors the band above 8.5 kHz already: the kinks
 * drop to 4 % and 16 % (st64: 23 % -> 6 %).  Measured at 48 kHz on
 * vectors48fb and vectors48 (12 / 24 clips x 5 traces, every stream and
 * mode): PESQ-WB within 0.003 of before, PLCMOS within 0.005, LSD-HF
 * 0.02-0.28 dB lower.  (A point reflection, which continues the slope too,
 * or a plain 1 ms step correction, removed the kinks as well but cost
 * 0.02-0.06 PESQ-WB after DRED on vectors48fb: their offset is
 * low-frequency energy the 16 kHz scores see, while a mirror of a mostly
 * high-band difference is not.)  At 8 and 12 kHz the joins were already as
 * smooth as at 16 kHz, and this made them no better: only above 16 kHz. */
static float join_fade(int k, int r) { return .5f + .5f * cosf((float)DF_RX_PI * ((float)k + .5f) / (float)r); }

/* out: the gap's first n output samples (interleaved when stereo), as
 * concealed, the high-band fill included: hb (mono, n samples, or NULL) or h
 * (stereo, each channel's over the first JOIN_MAX).  Mono takes the played
 * samples from the history (oh).  Stereo: the concealment is the mid at each
 * channel's level, so the difference is taken on the played mid (the
 * per-channel ring) and scaled to that level, and with the decoder's side
 * signal in the gap (side) the fill is the mid's: a channel's level or side
 * changing at the gap is what the concealment does on purpose (taking each
 * channel's own played samples instead carried that step into the gap and
 * cost st64 after DRED 0.010 / 0.021 PESQ-WB on vectors48fb / vectors48;
 * this way 0.002 / 0.000). */
static void join_gap(df_receiver *rx, float *out, int n, const float *hb, const float (*h)[2], int side)
{
    const int r = rx->fs / JOIN_DIV, ch = rx->ch;
    const int64_t t0 = rx->t_out - r;
    float u[JOIN_MAX];
    if (r > n || !timeline_has(rx, rx->up_play, t0)) return;
    if (ch == 1 ? t0 < rx->oh_t0 || rx->t_out > rx->oh_t0 + rx->oh_n : rx->och_n < r) return;
    render(rx, t0, r, u);
    for (int k = 0; k < r; k++) {
        const float f = join_fade(k, r), c = u[r - 1 - k]; /* mirrored: k samples before the gap */
        if (ch == 1) {
            const float e = rx->oh[rx->t_out - 1 - k - rx->oh_t0] - c - (hb ? hb[k] : 0.f);
            out[k] = to_i16(out[k] + f * e) * (1.f / 32768.f);
            continue;
        }
        const int at = (rx->och_w - 1 - k + HF_HIST) % HF_HIST;
        const float mid = .5f * (rx->och[0][at] + rx->och[1][at]);
        for (int j = 0; j < 2; j++) {
            const float e = rx->ch_gain[j] * (mid - c) - (side ? .5f * (h[k][0] + h[k][1]) : h[k][j]);
            out[2 * k + j] = to_i16(out[2 * k + j] + f * e) * (1.f / 32768.f);
        }
    }
}

/* ------------------------------------------------------------ decoding */

/* Bandwidth of the SILK layer of a packet, 0 for CELT-only. */
static int silk_bandwidth(uint8_t toc)
{
    int config = toc >> 3;
    if (config < 12) return DF_OPUS_BANDWIDTH_NARROWBAND + config / 4;
    /* Hybrid: its SILK layer codes wideband, and a SILK-only wideband shadow packet
     * carries that history over the gap (the decoder resets its CELT high band at the
     * switch back, which the fade covers).  Measured on 3 dev clips x 5 traces at
     * 48 kHz: fb32 DRED 2.139 -> 2.305 PESQ-WB (libopus 2.305), PLC 1.513 -> 1.571
     * (1.591); st64 DRED 2.043 -> 2.154 (2.105), PLC 1.318 -> 1.358 (1.377). */
    if (config < 16) return DF_OPUS_BANDWIDTH_NARROWBAND + 2;
    return 0;
}

/* A hybrid packet (configurations 12-15: SILK wideband below CELT). */
static int is_hybrid(uint8_t toc)
{
    const int config = toc >> 3;
    return config >= 12 && config < 16;
}

/* Output samples per channel of a packet, or -1 if it is malformed. */
static int packet_samples(const df_receiver *rx, const uint8_t *pkt, int32_t len)
{
    df_packet p;
    if (len < 1 || df_packet_parse(pkt, len, &p) != DF_PACKET_OK) return -1;
    int64_t n48 = (int64_t)p.nb_frames * p.samples_per_frame_48k;
    if (n48 <= 0 || n48 > 5760) return -1;
    return (int)(n48 * rx->fs / 48000);
}

static int decode_packet(df_receiver *rx, const uint8_t *pkt, int32_t len, float *out)
{
    int n = packet_samples(rx, pkt, len);
    if (n <= 0) return -1;
    resume(rx);
    int ret = sys_decode(rx, pkt, len, n, 0);
    if (ret <= 0) return -1; /* libopus refused it: concealed instead */
    rx->frame = ret;
    rx->started = 1;
    rx->silk_bw = silk_bandwidth(pkt[0]);
    rx->hybrid = is_hybrid(pkt[0]);
    decoded(rx, ret, out);
    return ret;
}

static int is_shadow_frame(int n16)
{
    return n16 == 160 || n16 == 320 || n16 == 640 || n16 == 960 || n16 == 1280 || n16 == 1600 || n16 == 1920;
}

static int conceal(df_receiver *rx, const uint8_t *const *ahead, const int32_t *ahead_len, int n_ahead,
                   float *out, int *kind)
{
    const int n = rx->frame, ch = rx->ch;
    int nxt = -1;
    for (int i = 0; i < n_ahead; i++)
        if (ahead[i] && ahead_len[i] > 0) {
            nxt = i;
            break;
        }
    /* LBRR: the very next packet carries this frame's in-band FEC. */
    if (nxt == 0 && rx->started && rx->cfg.use_lbrr && df_packet_has_lbrr(ahead[0], ahead_len[0]) == 1) {
        resume(rx);
        int ret = sys_decode(rx, ahead[0], ahead_len[0], n, 1);
        if (ret == n) {
            decoded(rx, n, out);
            *kind = DF_RX_LBRR;
            rx->stats.lbrr++;
            return n;
        }
        /* LBRR refused: resume() already ran, the concealment starts afresh below. */
    }
    if (!rx->started) {
        /* Nothing decoded yet: no history to continue (libopus outputs silence too). */
        memset(out, 0, (size_t)n * ch * sizeof(float));
        memset(rx->tmp, 0, (size_t)n * sizeof(float));
        history_push(rx, rx->tmp, n);
        rx->t_out += n;
        *kind = DF_RX_PLC;
        rx->stats.plc++;
        return n;
    }
    const int n16 = (int)to16(rx, n); /* one packet slot: at most 120 ms */
    const int64_t P = to16(rx, rx->t_out);
    /* this slot starts a gap whose first samples continue the played audio (see join_gap) */
    const int join = !rx->concealed && rx->fs > 16000;
    rx->xf_len = rx->xf_pos = 0;
    if (!rx->concealed) {
        if (ch == 2) stereo_gains(rx);
        /* The images a decoded frame has above 8 kHz are the SILK resampler's
         * in SILK and hybrid streams; CELT codes its own band there, and its
         * gaps keep the sinc filter (vectors48 celt64 LSD-HF after DRED 4.99
         * dB with the SILK shape, 4.45 with the sinc; libopus 5.29). */
        rx->up_play = rx->silk_bw ? &rx->up : rx->up_sinc;
        rx->side_gap = -1; /* decided below, once the DRED is known */
        rx->gap_plc = 0;
        rx->steer_g = -1;
        rx->hf_gain = 0;
        if (rx->hf_on) {
            hf_capture(rx);
            if (rx->hf_len) rx->hf_gain = 0.5f; /* -6 dB */
        }
        history_catch_up(rx);
        /* First lost frame: history samples short of a whole PLC frame are
         * dropped (the concealment covers them). */
        rx->p16_end = rx->plc_pos;
        rx->fb_n = 0;
        rx->snap_pos = -1;
    }
    int64_t dred_pos = -1;
    int is_dred = 0, dred_ahead = 0;
    /* how far before the next packet the gap's first PLC frame starts */
    const int64_t reach = P + (int64_t)(nxt + 1) * n16 - (rx->p16_end < P ? rx->p16_end : P);
    if (nxt >= 0 && rx->cfg.use_dred && dred_for(rx, ahead[nxt], ahead_len[nxt], reach)) {
        dred_ahead = 1;
        /* Position of the DRED packet on the PLC timeline.  The frame counts as
         * recovered from DRED when any PLC frame of it gets DRED features (the
         * rows are queued per PLC frame as it is made; the first of a burst
         * also takes the two priming rows).  Judging by its first PLC frame only
         * dropped the DRED of the oldest frame a packet covers: -0.025 PESQ-WB
         * on the dev set's DRED runs. */
        dred_pos = P + (int64_t)(nxt + 1) * n16;
        int saved_blend = rx->plc->blend;
        for (int64_t p = P; p < P + n16 && !is_dred; p += F16) {
            is_dred = dred_rows(rx, dred_pos - p, 0) > 0;
            rx->plc->blend = 1; /* later PLC frames of the burst take no priming rows */
        }
        rx->plc->blend = saved_blend;
        if (!is_dred) {
            df_deep_plc_fec_clear(rx->plc);
            dred_pos = -1;
        }
    }
    /* Look-ahead PLC: towards the packet after the gap; in a DRED gap, whose
     * last frames are DRED's, the PLC frames before them towards the oldest
     * DRED frame.  Measured on the dev set (24 clips x 5 traces), DRED used,
     * PESQ-WB / STOI / PLCMOS: 2.142 / 0.891 / 3.443 without look-ahead, 2.217
     * / 0.912 / 3.727 with it (libopus 1.6.1: 2.122 / 0.892 / 3.343). */
    if (!dred_ahead && nxt >= 0 && nxt < rx->cfg.steer_ahead && rx->fut)
        steer_plan(rx, ahead[nxt], ahead_len[nxt], P + (int64_t)(nxt + 1) * n16,
                   nxt > 0 && rx->cfg.use_lbrr && df_packet_has_lbrr(ahead[nxt], ahead_len[nxt]) == 1);
    else if (dred_ahead && !is_dred && nxt < rx->cfg.steer_ahead && rx->fut)
        steer_to_dred(rx, P + (int64_t)(nxt + 1) * n16);
    if (rx->side_gap < 0) {
        rx->side_gap = rx->probe && !dred_ahead;
        rx->hf_floor = dred_ahead ? HF_FLOOR_DRED : HF_FLOOR_PLC;
        if (rx->side_gap) rx->ch_gain[0] = rx->ch_gain[1] = 1.f;
    }
    int64_t need = p16_needed(rx, rx->t_out, n);
    /* A burst whose first frame takes all three of its DRED rows is DRED's
     * to the end (older frames take higher rows): the network's predictions
     * are not used in it, only its state goes on.  Its start then feeds the
     * network just the newest DRED_CATCHUP history frames instead of every
     * frame since the last burst (up to 15, each a Burg analysis and a
     * network step).  Measured against the whole catch-up (dev set, 24 clips
     * x 5 traces, after DRED, PESQ-WB / STOI / PLCMOS): 2.213 / 0.912 / 3.720
     * -> 2.210 / 0.912 / 3.717 (1 step: 2.209 / 3.717), PLC and LBRR
     * unchanged; vectors48fb after DRED fb32 2.391 -> 2.390, st64 2.233 ->
     * 2.229, celt64 2.647 -> 2.643; -13.5 % of the receiver's instructions on
     * the lossgen 20 % trace.  Capping PLC bursts too (6 steps) cost fb32
     * after PLC 0.011 PESQ-WB and 0.049 PLCMOS (vectors48fb). */
    if (rx->plc->blend == 0 && !rx->plc->primed)
        rx->plc->max_catchup = dred_pos >= 0 && dred_rows(rx, dred_pos - rx->p16_end, 0) == 3 ? DRED_CATCHUP : 0;
    /* The PLC runs past the frame's end (the up filter reads ahead); the state
     * at that end is saved so that a packet in the next slot resumes from it.
     * When the look-ahead already holds a later packet but not the next one,
     * the next slot is concealed too and nothing is saved (a 45 kB copy per
     * lost frame; should the next packet come late after all, resume() keeps
     * the PLC where it is and the history it covers is skipped). */
    conceal_until(rx, rx->plc, need, nxt > 0 ? -1 : P + n16, dred_pos);
    float *y = rx->tmp, *yh = rx->tmp_h;
    render(rx, rx->t_out, n, y);
    if (!render_hist(rx, rx->t_out, n, yh)) yh = y; /* the history's samples are the played ones */
    const int fill = rx->hf_gain > 0;
    /* The system decoder moves through the frame too. */
    const int shadowed = rx->cfg.shadow && rx->silk_bw && is_shadow_frame(n16) && rx->enc;
    const int16_t *side = NULL;
    if (shadowed) {
        /* Only the last concealed frame of a gap is re-encoded: what the decoder
         * resumes from is its last 20 ms (SILK's pitch and LPC memories), so the
         * frames before it go through the decoder's own PLC.  Measured on 6 dev
         * clips x 5 traces at 16 kHz against re-encoding every frame: PESQ-WB
         * DRED 2.118 / 2.122, PLC 1.621 / 1.632, LBRR 1.880 / 1.892 (PLCMOS within
         * 0.02), for 3 encodes per gap instead of 2 + one per frame (receiver CPU
         * -15 to -25 %).
         *
         * In SILK-only streams the decoder's own PLC runs for just one of the
         * frames before that one (the one just before it, in shadow_emit):
         * the shadow frame then follows a PLC frame as before, but the decoder
         * skips the rest of a long gap, whose classic PLC (with its comfort
         * noise) nobody hears.  Measured on the dev set (24 clips x 5 traces,
         * PESQ-WB / STOI / PLCMOS) against the decoder's PLC for every frame:
         * DRED 2.213 / 0.912 / 3.720 vs 2.215 / 0.912 / 3.724, PLC 1.701 /
         * 0.843 / 3.100 vs 1.701 / 0.843 / 3.103, LBRR 1.978 / 0.864 / 3.284
         * vs 1.977 / 0.864 / 3.279 (skipping that last PLC frame too: 2.208 /
         * 3.716, 1.697 / 3.117, 1.977 / 3.295), for 10 % of the deep-PLC
         * row's and 5 % of the GE burst row's instructions.  Hybrid streams
         * keep the first HYBRID_PLC_KEEP frames of a gap as well (CELT's
         * state after the gap's start matters): with only the one before the
         * shadow frame they lost 0.015 PESQ-WB after DRED on both 48 kHz sets
         * (fb32: vectors48fb 2.391 -> 2.375, vectors48 2.420 -> 2.405); with
         * the first two as well, against every frame, fb32 after DRED / PLC /
         * PLC with look-ahead, PESQ-WB / PLCMOS: vectors48fb 2.390 / 2.996 ->
         * 2.389 / 3.004, 1.683 / 2.401 -> 1.680 / 2.397, 1.839 / 2.701 ->
         * 1.839 / 2.704; vectors48 2.421 / 4.168 -> 2.418 / 4.165, 1.606 /
         * 3.075 -> 1.606 / 3.078, 1.688 / 3.435 -> 1.689 / 3.439 (the first
         * one only: vectors48fb after DRED 2.385), for 5.3 % of the fb32 row's
         * instructions.  Stereo streams keep them all: the side channel of
         * their PLC gaps is that PLC (the probe), and no stereo stream was
         * measured without them. */
        if (rx->pend_n) {
            if (rx->ch == 2 || (rx->pend_hybrid && rx->gap_plc < HYBRID_PLC_KEEP)) {
                pending_plc(rx);
                rx->gap_plc++;
            } else
                rx->skipped_frame = rx->pend_frame;
            rx->pend_n = 0;
        }
        rx->pend_n = n16;
        rx->pend_pos = P;
        rx->pend_frame = n;
        rx->pend_bw = rx->silk_bw;
        rx->pend_hybrid = rx->hybrid;
        if (rx->side_gap && probe_plc(rx, n)) {
            side = rx->pcm16;
            rx->probe_ahead = 1;
        }
    } else {
        if (rx->pend_n) shadow_emit(rx);
        if (sys_decode(rx, NULL, 0, n, 0) == n && rx->side_gap) side = rx->pcm16;
    }
    float hj0[JOIN_MAX][2]; /* stereo: the fill over a gap's first samples (join_gap) */
    if (ch == 1) {
        /* played at 16 bits, as decoded audio; the fill is added to both */
        float *hb = NULL;
        if (fill) {
            hb = rx->hbuf;
            for (int i = 0; i < n; i++) hf_next(rx, hb + i);
        }
        df_pcm16_round(y, hb, out, n);
        if (yh != y) df_pcm16_round(yh, hb, yh, n);
        else memcpy(yh, out, (size_t)n * sizeof(float));
        /* (the history keeps the concealment as it was: the PLC continues that) */
        if (join) join_gap(rx, out, n, hb, NULL, 0);
    } else {
        const int keep = join ? JOIN_MAX : 0; /* the fill join_gap needs */
        for (int i = 0; i < n; i++) {
            float h[2] = {0.f, 0.f};
            if (fill) hf_next(rx, h);
            if (i < keep) hj0[i][0] = h[0], hj0[i][1] = h[1];
            float v = to_i16(y[i]) * (1.f / 32768.f);
            /* Mid from the concealment; side from the decoder's own PLC, as
             * libopus conceals SILK stereo (deep PLC on the mid channel only). */
            float sd = side ? side_of(side, i) : 0.f;
            for (int j = 0; j < 2; j++) {
                /* with the decoder's side, the difference between the channels'
                 * high bands is in it already: the fill goes to the mid */
                float hj = side ? .5f * (h[0] + h[1]) : h[j];
                out[i * 2 + j] = to_i16(rx->ch_gain[j] * v + (j ? -sd : sd) + hj) * (1.f / 32768.f);
            }
            yh[i] = to_i16(yh[i]) * (1.f / 32768.f);
        }
    }
    if (ch == 2 && join) join_gap(rx, out, n, NULL, (const float (*)[2])hj0, side != NULL);
    if (ch == 2) stereo_history(rx, out, n);
    /* The played output joins the history buffer (its samples before the
     * PLC's position are skipped when fed). */
    history_push(rx, yh, n);
    rx->shadowed = shadowed;
    rx->t_out += n;
    rx->concealed = 1;
    rx->conceal_dred = is_dred;
    *kind = is_dred ? DF_RX_DRED : DF_RX_PLC;
    if (is_dred)
        rx->stats.dred++;
    else
        rx->stats.plc++;
    return n;
}

int df_receiver_decode(df_receiver *rx, const uint8_t *packet, int32_t len, const uint8_t *const *ahead,
                       const int32_t *ahead_len, int n_ahead, float *out, int *kind, int *bad)
{
    *bad = 0;
    if (packet) {
        int n = decode_packet(rx, packet, len, out);
        if (n > 0) {
            *kind = DF_RX_NORMAL;
            rx->stats.normal++;
            return n;
        }
        *bad = 1;
        rx->stats.bad_packets++;
    }
    return conceal(rx, ahead, ahead_len, n_ahead, out, kind);
}

/* ------------------------------------------------------ object lifetime */

/* A new stream.  codec: reset libopus's decoder and encoder too (a fresh
 * receiver's were just initialised: libopus's reset looks the CPU up again,
 * a CPUID instruction, which a virtual machine traps -- about 25 us). */
static void start_stream(df_receiver *rx, int codec)
{
    if (codec) {
        rx->lib.decoder_ctl(rx->dec, DF_OPUS_RESET_STATE);
        if (rx->enc) rx->lib.encoder_ctl(rx->enc, DF_OPUS_RESET_STATE);
    }
    memset((char *)rx->dec + rx->opus_size, 0, (size_t)(rx->dec_size - rx->opus_size));
    df_deep_plc_init(rx->plc);
    rx->t_out = 0;
    rx->oh_t0 = 0;
    rx->oh_n = 0;
    rx->s_next = 0;
    rx->p16_base = rx->p16_end = 0;
    rx->fb_n = 0;
    rx->plc_pos = 0;
    rx->snap_pos = -1;
    rx->frame = rx->fs / 50;
    rx->started = rx->concealed = rx->conceal_dred = rx->shadowed = 0;
    rx->xf_len = rx->xf_pos = 0;
    rx->silk_bw = 0;
    rx->hybrid = rx->pend_hybrid = 0;
    rx->up_play = &rx->up;
    rx->pend_n = rx->skipped_frame = 0;
    rx->in_gap = 0;
    rx->enc_bw = 0;
    rx->dlen = -1;
    rx->dvalid = rx->dtrunc = 0;
    rx->hf_gain = 0;
    rx->hf_floor = HF_FLOOR_DRED;
    rx->hf_len = 0;
    rx->och_n = rx->och_w = 0;
    rx->ch_energy[0] = rx->ch_energy[1] = rx->mix_energy = 0;
    rx->ch_gain[0] = rx->ch_gain[1] = 1.f;
    rx->probe_ahead = 0;
    rx->xs_len = 0;
    rx->side_gap = 0;
    rx->steer_g = -1;
    memset(&rx->stats, 0, sizeof(rx->stats));
}

void df_receiver_reset(df_receiver *rx) { start_stream(rx, 1); }

df_receiver *df_receiver_create(const df_receiver_config *cfg, const df_deep_plc_model *plc,
                                const df_kernels *k, const df_dred_decoder *dred, const char *libopus,
                                const df_receiver *like, char *err, size_t errlen)
{
    if (!(cfg->sample_rate == 8000 || cfg->sample_rate == 12000 || cfg->sample_rate == 16000 ||
          cfg->sample_rate == 24000 || cfg->sample_rate == 48000) ||
        (cfg->channels != 1 && cfg->channels != 2) || cfg->max_dred_ms < 0 || cfg->max_dred_ms > 1000) {
        snprintf(err, errlen, "bad receiver configuration");
        return NULL;
    }
    for (int i = 0; i < 4; i++)
        if (cfg->fade[i] < 0 || cfg->fade[i] > DF_RX_MAX_FADE) {
            snprintf(err, errlen, "fade length out of range");
            return NULL;
        }
    df_receiver *rx = calloc(1, sizeof(*rx));
    if (!rx) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* The filters read up to their width before the first sample they are
     * given: at the start of a stream (or of a short first frame) that is
     * before the buffers' first element.  A prefix of zeros (never written:
     * the buffers are trimmed by moving their contents, not the prefix)
     * stands for the silence before the stream.  Without it the down filter
     * read the struct fields in front of oh -- a pointer among them, so the
     * PLC history of a gap in the first 2 ms of 48 kHz output, and all
     * output after it, depended on where the receiver was allocated. */
    rx->oh = rx->oh_mem + DF_RS_MAX_TAPS;
    rx->p16 = rx->p16_mem + DF_RS_MAX_TAPS;
    rx->cfg = *cfg;
    rx->model = plc;
    rx->k = k;
    rx->dredec = dred;
    rx->fs = cfg->sample_rate;
    rx->ch = cfg->channels;
    if (df_opus_lib_open(&rx->lib, libopus, err, errlen)) {
        free(rx);
        return NULL;
    }
    /* A template must match in everything its copies carry over: the same
     * configuration and the same loaded library (dlopen hands back the same
     * handle for the same file).  Its sizes are taken too: libopus's
     * get_size builds the CELT mode, which runs CPUID as well. */
    if (like && (memcmp(&like->cfg, cfg, sizeof(*cfg)) != 0 || like->started || like->t_out != 0 ||
                 like->lib.handle != rx->lib.handle))
        like = NULL;
    rx->plc = malloc(sizeof(*rx->plc));
    rx->snap = malloc(sizeof(*rx->snap));
    rx->scratch = malloc(sizeof(*rx->scratch));
    rx->opus_size = like ? like->opus_size : rx->lib.decoder_get_size(rx->ch);
    rx->fast16 = strstr(rx->lib.version, "-fixed") == NULL;
    /* room for dec16's soft-clip memory (two floats) after libopus's state */
    int dsize = rx->opus_size > 0 ? rx->opus_size + 16 : 0;
    rx->dec_size = dsize;
    rx->dec = dsize > 0 ? calloc(1, (size_t)dsize) : NULL;
    /* Stereo only.  The decoder state is one flat block (libopus allocates it
     * so), which is what makes a copy by memcpy a working decoder. */
    if (rx->ch == 2) rx->probe = dsize > 0 ? malloc((size_t)dsize) : NULL;
    if (rx->cfg.steer_ahead > 0) rx->fut = dsize > 0 ? malloc((size_t)dsize) : NULL;
    if (!rx->plc || !rx->snap || !rx->scratch || !rx->dec || (rx->ch == 2 && !rx->probe) ||
        (rx->cfg.steer_ahead > 0 && !rx->fut) ||
        (like ? (memcpy(rx->dec, like->dec, (size_t)dsize), 0) : rx->lib.decoder_init(rx->dec, rx->fs, rx->ch)) != 0) {
        snprintf(err, errlen, "cannot create the libopus decoder");
        df_receiver_destroy(rx);
        return NULL;
    }
    if (cfg->shadow) {
        /* Cheapest encoder that keeps the quality (measured on the dev set:
         * 24-64 kb/s and complexity 0-5 within 0.002 PESQ-WB). */
        int esize = like ? like->enc_size : rx->lib.encoder_get_size(rx->ch);
        rx->enc_size = esize;
        rx->enc = esize > 0 ? malloc((size_t)esize) : NULL;
        if (rx->enc && like && like->enc) {
            memcpy(rx->enc, like->enc, (size_t)esize);
            rx->enc_lookahead = like->enc_lookahead;
        } else if (!rx->enc || rx->lib.encoder_init(rx->enc, 16000, rx->ch, DF_OPUS_APPLICATION_VOIP) != 0) {
            snprintf(err, errlen, "cannot create the libopus encoder");
            df_receiver_destroy(rx);
            return NULL;
        }
    }
    if (cfg->shadow && !(like && like->enc)) {
        rx->lib.encoder_ctl(rx->enc, DF_OPUS_SET_BITRATE, 40000);
        rx->lib.encoder_ctl(rx->enc, DF_OPUS_SET_COMPLEXITY, 0);
        rx->lib.encoder_ctl(rx->enc, DF_OPUS_SET_VBR, 1);
        rx->lib.encoder_ctl(rx->enc, DF_OPUS_SET_SIGNAL, DF_OPUS_SIGNAL_VOICE);
        rx->lib.encoder_ctl(rx->enc, DF_OPUS_SET_FORCE_MODE, DF_OPUS_MODE_SILK_ONLY);
        int32_t la = 0;
        rx->lib.encoder_ctl(rx->enc, DF_OPUS_GET_LOOKAHEAD, &la);
        rx->enc_lookahead = la;
    }
    rx->hf_decay = powf(10.f, -1.5f / 20.f / (float)(rx->fs / 50));
    rx->identity = rx->fs == 16000;
    rx->up_sinc = rx->fs > 16000 ? &rx->up_hist : &rx->up;
    if (!rx->identity && like) {
        rx->down = like->down;
        rx->up = like->up;
        rx->up_hist = like->up_hist;
    } else if (!rx->identity) {
        if (df_resampler_init(&rx->down, rx->fs, 16000, HALF_WIDTH, DF_RS_SINC) ||
            df_resampler_init(&rx->up, 16000, rx->fs, HALF_WIDTH, rx->fs > 16000 ? DF_RS_SILK_UP : DF_RS_SINC) ||
            (rx->fs > 16000 && df_resampler_init(&rx->up_hist, 16000, rx->fs, HALF_WIDTH, DF_RS_SINC))) {
            snprintf(err, errlen, "cannot build the resampling filters");
            df_receiver_destroy(rx);
            return NULL;
        }
    }
    rx->hf_on = rx->fs >= 24000;
    if (rx->hf_on) {
        /* Butterworth as two biquads (Q 0.5412 and 1.3066), bilinear transform. */
        const double q[2] = {0.54119610, 1.30656296};
        double w0 = 2 * DF_RX_PI * 8500.0 / rx->fs, cw = cos(w0), sw = sin(w0);
        for (int k = 0; k < 2; k++) {
            double alpha = sw / (2 * q[k]), a0 = 1 + alpha;
            rx->hp_b[k][0] = (float)((1 + cw) / 2 / a0);
            rx->hp_b[k][1] = (float)(-(1 + cw) / a0);
            rx->hp_b[k][2] = (float)((1 + cw) / 2 / a0);
            rx->hp_a[k][0] = (float)(-2 * cw / a0);
            rx->hp_a[k][1] = (float)((1 - alpha) / a0);
        }
    }
    for (int s = 0; s < 4; s++) {
        int len = cfg->fade[s];
        /* Raised-cosine fade-in of the decoded audio. */
        for (int i = 0; i < len; i++) rx->fades[s][i] = (float)(0.5 - 0.5 * cos(DF_RX_PI * (i + 0.5) / len));
    }
    start_stream(rx, 0);
    return rx;
}

void df_receiver_destroy(df_receiver *rx)
{
    if (!rx) return;
    free(rx->plc);
    free(rx->snap);
    free(rx->scratch);
    free(rx->dec);
    free(rx->probe);
    free(rx->fut);
    free(rx->enc);
    df_opus_lib_close(&rx->lib);
    free(rx);
}

const df_receiver_stats *df_receiver_get_stats(const df_receiver *rx) { return &rx->stats; }
const char *df_receiver_libopus_version(const df_receiver *rx) { return rx->lib.version; }
