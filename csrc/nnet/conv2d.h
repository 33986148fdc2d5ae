/* Two-dimensional convolution layer (time x frequency) with float weights,
 * as used by the PitchDNN pitch estimator of Opus 1.6.
 *
 * The layer sees `ktime` consecutive frames; each frame is `in_channels`
 * rows of (height + kheight - 1) values (the caller pads the frequency
 * axis).  Only one output frame is produced per call, so the time axis is
 * handled with a history buffer (`mem`) holding the previous ktime-1 input
 * frames.  Weights are ordered [out][in][t][h] (libopus's layout). */
#ifndef DREDFAST_CONV2D_H
#define DREDFAST_CONV2D_H
#include "nnet.h"
#ifdef __cplusplus
extern "C" {
#endif

/* Largest ktime * in_channels * (height + kheight - 1) we keep on the stack. */
#define DF_MAX_CONV2D_INPUTS 8192

typedef struct {
    const float *bias;     /* out_channels, may be NULL */
    const float *weights;  /* out_channels * in_channels * ktime * kheight */
    int in_channels;
    int out_channels;
    int ktime;
    int kheight;
} df_conv2d;

/* out[c * hstride + j], c < out_channels, j < height, receives
 * act(bias[c] + sum_{m,t,h} w[c][m][t][h] * frame_t[m][j + h]), where frame_0
 * is the oldest of the frames in mem and frame_{ktime-1} is `in`.  mem holds
 * (ktime-1) * in_channels * (height + kheight - 1) floats and is updated.
 * Returns -1 (touching nothing) if the layer does not fit the stack buffer. */
int df_compute_conv2d(const df_kernels *k, const df_conv2d *conv, float *out, float *mem,
                      const float *in, int height, int hstride, int activation);

/* The same for a 3x3 layer whose three input frames (oldest first, each
 * in_channels rows of height + 2) the caller keeps itself, e.g. in a ring
 * buffer, so no history is copied.  Returns -1 (touching nothing) unless
 * ktime == kheight == 3. */
int df_compute_conv2d_3x3(const df_kernels *k, const df_conv2d *conv, float *out, const float *f0,
                          const float *f1, const float *f2, int height, int hstride,
                          int activation);

#ifdef __cplusplus
}
#endif
#endif
