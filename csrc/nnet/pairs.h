/* A second layout of a dense int8 layer for the AVX2 kernel: 16-bit pair sums.
 *
 * AVX2 has no u8 x s8 dot product into 32 bits (VNNI's vpdpbusd); libopus,
 * and our plain AVX2 kernel, take two instructions per 32 products:
 * vpmaddubsw (pairs of products into 16 bits) and vpmaddwd by ones (pairs of
 * those into 32 bits).  Where the weights allow, two 4-input quads can share
 * the second instruction: their vpmaddubsw results are added in 16 bits
 * first.  That is exact (integer arithmetic, no saturation anywhere) when no
 * 16-bit lane can leave [-32768, 32767] for any input: with inputs u8 <= 255,
 * when in every lane the positive weights of the two quads sum to at most 128
 * and so do the magnitudes of the negative ones (255 * 128 = 32640).
 *
 * Rows go in groups of 32 (four 8-row blocks) so each input broadcast serves
 * four blocks, as in the plain kernel.  Within a group the quads go in
 * slots of two; a slot's class says in which blocks its two quads share the
 * widening (all four, the first two, the last two or none; bit b of its mask:
 * block b); the others widen each quad on its own.  Four classes, not the
 * sixteen block subsets: each class is a loop of its own per group, and
 * sixteen loops cost more than they save on these small layers.  Which quads share a slot depends on
 * the weights, so the layout lists them; each group's weights are read
 * front to back.  The result is bit-identical to the plain kernel's.
 *
 * Built once when a weight blob is loaded (weights/pack.c), read-only after. */
#ifndef DREDFAST_NNET_PAIRS_H
#define DREDFAST_NNET_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DF_PAIRS_GROUP 32 /* rows per group */
#define DF_PAIRS_MAX_LANE_SUM 128
#define DF_PAIRS_CLASSES 4 /* slot classes, by the blocks that share: */
#define DF_PAIRS_CLASS_MASKS {15, 3, 12, 0} /* all four, the first two, the last two, none */

typedef struct df_pairs {
    int nb_inputs;  /* the layer it was built for */
    int nb_outputs;
    int groups;     /* nb_outputs / 32; rows beyond use the plain layout */
    /* Per group: the slot count of each class (DF_PAIRS_CLASS_MASKS order),
     * the single count (0 or 1), then each slot's two input offsets (class
     * by class) and the single's (offsets are multiples of 4). */
    const int32_t *idx;
    /* Per group, in idx's order: a slot's 4 blocks x (32 bytes of quad a, 32
     * of quad b), the single's 4 blocks x 32 bytes. */
    const int8_t *w;
} df_pairs;

/* Bytes df_pairs_build needs for a layer (0 if the shape has no group). */
size_t df_pairs_bytes(int nb_inputs, int nb_outputs);
/* Builds the layout of the dense 8x4-block int8 weights w in mem (64-byte
 * aligned, df_pairs_bytes() long).  Work is linear in the weights (each quad
 * tries at most a fixed number of partners).  Returns the layout, or NULL if
 * the shape is not one this handles or scratch memory ran out. */
const df_pairs *df_pairs_build(void *mem, const int8_t *w, int nb_inputs, int nb_outputs);

#ifdef __cplusplus
}
#endif

#endif
