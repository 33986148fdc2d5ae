/* Zero-phase polyphase FIR resampling between 16 kHz (the rate of the
 * neural concealment) and the receiver's output rate (8-48 kHz).
 *
 * The receiver keeps whole signals in buffers and knows how far ahead they
 * are filled, so the filter is applied as a centred (non-causal) windowed
 * sinc: the resampled signal has no delay and the cost of "zero phase" is a
 * look-ahead of `width` input samples, which the receiver accounts for.
 * Output sample n sits at input time n * M / L (L / M = fs_out / fs_in in
 * lowest terms); taps are computed once per object (no tables shared). */
#ifndef DREDFAST_RESAMPLER_H
#define DREDFAST_RESAMPLER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DF_RS_MAX_PHASES 4
#define DF_RS_MAX_TAPS 192

typedef struct {
    int L, M;     /* output rate / input rate = L / M */
    int width;    /* input samples used on each side of an output sample */
    float h[DF_RS_MAX_PHASES][DF_RS_MAX_TAPS];
} df_resampler;

/* The filter's shape.  DF_RS_SINC: a Kaiser-windowed sinc cut off at 1.02
 * times the lower rate's Nyquist frequency.  DF_RS_SILK_UP (from 16 kHz up
 * only): flat to the sinc's edge (8.16 kHz), then the roll-off of libopus's
 * SILK resampler, which brings every SILK and hybrid stream from 16 kHz to
 * the output rate -- it lets images of the 6-8 kHz band through down to
 * about 9.8 kHz -- and nothing beyond (see resampler.c). */
enum { DF_RS_SINC = 0, DF_RS_SILK_UP = 1 };

/* half_width_low: the filter's half length in samples of the lower of the two
 * rates (the same filter sharpness whichever way it converts).  0, or -1 if
 * the rates are not 8/12/16/24/48 kHz, the filter would not fit, or the shape
 * does not apply to this conversion. */
int df_resampler_init(df_resampler *r, int fs_in, int fs_out, int half_width_low, int shape);

/* Input samples either side of an output sample the filter reads. */
static inline int df_resampler_width(const df_resampler *r) { return r->width; }

/* Output samples n0 .. n0+count-1 (global indices).  x points at the input
 * sample of global index x0; the caller guarantees that x[i] exists for
 * every index floor(n*M/L) - width + 1 .. floor(n*M/L) + width. */
void df_resample(const df_resampler *r, const float *x, int64_t x0, int64_t n0, int count, float *y);

/* As df_resample, for output samples whose support reaches past the last
 * input (global index x_end - 1): only the taps on existing input are used,
 * rescaled to unit gain at DC -- a one-sided estimate, for the newest few. */
void df_resample_edge(const df_resampler *r, const float *x, int64_t x0, int64_t x_end, int64_t n0, int count, float *y);

/* Largest output index whose input support ends at or before input index
 * `last_in` (inclusive). */
int64_t df_resampler_last_output(const df_resampler *r, int64_t last_in);

#ifdef __cplusplus
}
#endif
#endif
