/* The receiver: Opus packets in (some missing), continuous audio out, at any
 * Opus output rate (8-48 kHz) and channel count (1, 2).
 *
 * Per packet slot it chooses, as libopus 1.6.1 does with DRED enabled: the
 * packet decoded by the system libopus; for a lost one, the LBRR of the
 * next packet; else the DRED of the first later packet that covers it; else
 * deep PLC.  The neural concealment runs at 16 kHz mono, as in libopus; its
 * history is the played output (the channels' mean) brought to 16 kHz, and
 * its audio is brought back to the output rate.
 *
 * History and timing.  Normal audio is the system decoder's, unchanged.  At
 * rates other than 16 kHz the played output waits in a buffer; when a loss
 * starts, its last 160 ms are brought to 16 kHz by a zero-phase low-pass
 * (the newest few samples, whose filter would reach into the future, by a
 * one-sided estimate) so that the PLC's history ends exactly where the played
 * audio does.  A concealed output frame is the PLC signal brought back to the
 * output rate, which needs PLC samples a little past the frame: the PLC
 * conceals one 10 ms frame ahead, and its state before that frame is kept to
 * be restored when the gap ends.  Stereo, in a gap without DRED: as libopus
 * conceals SILK stereo, the concealment is the mid channel and the side is the
 * system decoder's own PLC, run on a copy of its state; in a DRED gap the mid
 * goes to each channel at that channel's level before the gap.  Hybrid and
 * CELT streams: the band above 8.5 kHz is filled with the last frame's,
 * decaying (libopus fills hybrid with CELT's noise PLC, CELT-only not at all).
 * At 16 kHz mono the output is the PLC's own.
 *
 * The system decoder must move through a gap too.  For SILK-only and hybrid
 * streams the last concealed frame of a gap is re-encoded by a small SILK
 * encoder (the "shadow") and that packet decoded, so that SILK resumes from
 * the audio that was played, as libopus 1.6.1 does internally (a stereo
 * stream gets a stereo shadow packet, both channels the same); the frames
 * before it, and CELT streams, use the decoder's own PLC.
 * The first decoded audio after a gap is faded in from the concealment's
 * continuation.
 *
 * Look-ahead (steer_ahead > 0): in a gap without DRED, when the packet after
 * it has already arrived, it is decoded on a copy of the system decoder and
 * analysed, and the PLC's predicted features are steered to land on its
 * features (interpolation instead of extrapolation).  No allocation after
 * creation. */
#ifndef DREDFAST_RECEIVER_H
#define DREDFAST_RECEIVER_H

#include <stddef.h>
#include <stdint.h>

#include "../include/dredfast.h"
#include "deep_plc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_RX_MAX_FRAME 5760 /* 120 ms at 48 kHz, per channel */
#define DF_RX_MAX_FADE 1920  /* 40 ms at 48 kHz */

enum { DF_RX_NORMAL = 0, DF_RX_LBRR = 1, DF_RX_DRED = 2, DF_RX_PLC = 3 };
/* Fade slots: after DRED / after PLC, system decoder followed by re-encoding or by its own PLC. */
enum { DF_RX_FADE_DRED_SHADOW = 0, DF_RX_FADE_PLC_SHADOW = 1, DF_RX_FADE_DRED_STOCK = 2, DF_RX_FADE_PLC_STOCK = 3 };

typedef struct {
    int sample_rate;  /* 8000, 12000, 16000, 24000, 48000 */
    int channels;     /* 1, 2 */
    int max_dred_ms;  /* 0..1000 */
    int use_dred, use_lbrr;
    int shadow;       /* 1: re-encode concealed SILK frames for the system decoder */
    int fade[4];      /* fade lengths in output samples (0..DF_RX_MAX_FADE), by DF_RX_FADE_* */
    int steer_ahead;  /* look-ahead PLC: the first packet after a gap steers the
                       * concealment if it is at most this many slots ahead (0: off) */
} df_receiver_config;

typedef struct {
    int64_t normal, lbrr, dred, plc, bad_packets;
    /* Packets consulted for DRED (the first later packet of a loss) whose
     * DRED had a version the decoder does not read: ignored, as libopus
     * ignores them (each distinct packet counted once). */
    int64_t dred_unknown_version;
} df_receiver_stats;

typedef struct df_receiver df_receiver;

/* The models must outlive the receiver.  libopus: what dlopen should load.
 * like: NULL, or a receiver made with the same configuration and libopus
 * that has decoded nothing (a template nobody decodes with): its freshly
 * initialised libopus states and its filters are copied instead of made
 * again -- libopus's initialisation runs CPUID, which a virtual machine
 * traps (tens of microseconds), and the filters' design costs as much.  The
 * result is the same receiver.  NULL with a message in err on failure. */
df_receiver *df_receiver_create(const df_receiver_config *cfg, const df_deep_plc_model *plc,
                                const df_kernels *k, const df_dred_decoder *dred, const char *libopus,
                                const df_receiver *like, char *err, size_t errlen);
void df_receiver_destroy(df_receiver *rx);
void df_receiver_reset(df_receiver *rx);

/* One packet slot.  packet NULL: lost.  ahead[i] / ahead_len[i]: the packets
 * of the following slots already received (NULL: not yet).  Writes the
 * slot's audio to out (interleaved float, up to DF_RX_MAX_FRAME per channel)
 * and returns its length per channel; *kind gets DF_RX_*, *bad 1 if the
 * packet was present but undecodable (then concealed). */
int df_receiver_decode(df_receiver *rx, const uint8_t *packet, int32_t len, const uint8_t *const *ahead,
                       const int32_t *ahead_len, int n_ahead, float *out, int *kind, int *bad);

const df_receiver_stats *df_receiver_get_stats(const df_receiver *rx);
const char *df_receiver_libopus_version(const df_receiver *rx);

#ifdef __cplusplus
}
#endif
#endif
