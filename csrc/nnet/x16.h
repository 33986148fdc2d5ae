/* A second layout of a dense int8 layer for the AVX-512 VNNI kernel.
 *
 * The plain layout keeps each 8-row block's weights together, so a kernel
 * that runs four blocks side by side (32 outputs, one input spread serving
 * four vpdpbusd) reads four streams a block apart.  Here a group of 32 rows
 * is one stream: for every 16 inputs, the 64 bytes of inputs 0-7 of blocks
 * 0..3, then those of inputs 8-15 -- the order the kernel reads them.  Only
 * the order of the bytes changes (integer sums), so the results are the
 * same bits; measured on the Opus 1.6.1 FARGAN and PLC layers, the
 * products take 15-30 % less time.  Inputs past the last whole 16 and rows
 * past the last whole 32 stay in the plain layout.
 *
 * Built once when a weight blob is loaded (weights/pack.c), read-only after. */
#ifndef DREDFAST_NNET_X16_H
#define DREDFAST_NNET_X16_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct df_x16 {
    int nb_inputs; /* the layer it was built for */
    int nb_outputs;
    const int8_t *w; /* nb_outputs / 32 groups x nb_inputs / 16 steps x 512 bytes */
} df_x16;

/* Bytes df_x16_build needs for a layer (0 if the shape has no whole group). */
size_t df_x16_bytes(int nb_inputs, int nb_outputs);
/* Builds the layout of the dense 8x4-block int8 weights w in mem (64-byte
 * aligned, df_x16_bytes() long); NULL if the shape has no whole group. */
const df_x16 *df_x16_build(void *mem, const int8_t *w, int nb_inputs, int nb_outputs);

#ifdef __cplusplus
}
#endif

#endif
