/* Builder of the pair-sum layout (pairs.h).  Portable C: it only reads the
 * weights; the AVX2 kernel is what reads its result. */
#include "pairs.h"

#include <stdlib.h>
#include <string.h>

#include "nnet.h"

/* Partners a quad tries, lightest first.  The first few decide nearly every
 * pairing (measured on the Opus 1.6.1 models: 16 pairs as many quads as
 * trying all of them), and the bound keeps the build linear in the weights
 * whatever a blob holds. */
#define TRIES 16
#define LANES (4 * 16) /* 16-bit lanes of a group's four blocks */

static size_t round64(size_t n) { return (n + 63) / 64 * 64; }

size_t df_pairs_bytes(int nb_inputs, int nb_outputs)
{
    size_t groups, quads;
    if (nb_inputs <= 0 || nb_outputs < DF_PAIRS_GROUP || nb_inputs % 4 || nb_outputs % 8 ||
        nb_inputs > DF_MAX_INPUTS || nb_outputs > 4 * DF_MAX_INPUTS)
        return 0;
    groups = (size_t)nb_outputs / DF_PAIRS_GROUP;
    quads = (size_t)nb_inputs / 4;
    return round64(sizeof(df_pairs)) + round64(groups * (2 + quads) * sizeof(int32_t)) +
           groups * DF_PAIRS_GROUP * (size_t)nb_inputs;
}

typedef struct {
    int load; /* largest lane sum of the quad alone */
    int quad;
} ranked;

static int by_load_desc(const void *a, const void *b)
{
    const ranked *x = (const ranked *)a, *y = (const ranked *)b;
    if (x->load != y->load) return x->load > y->load ? -1 : 1;
    return x->quad - y->quad; /* deterministic order */
}

/* Positive and negative weight sums of each 16-bit lane of quad q over the
 * group's four blocks (block b's row pair at lanes 16 b ..). */
static int lane_sums(const int8_t *group, int nb_inputs, int q, uint16_t *pos, uint16_t *neg)
{
    int load = 0;
    for (int b = 0; b < 4; b++) {
        const int8_t *blk = group + (size_t)b * 8 * nb_inputs + (size_t)q * 32;
        for (int l = 0; l < 16; l++) {
            const int w0 = blk[2 * l], w1 = blk[2 * l + 1];
            const int p = (w0 > 0 ? w0 : 0) + (w1 > 0 ? w1 : 0);
            const int n = (w0 < 0 ? -w0 : 0) + (w1 < 0 ? -w1 : 0);
            pos[b * 16 + l] = (uint16_t)p;
            neg[b * 16 + l] = (uint16_t)n;
            if (p > load) load = p;
            if (n > load) load = n;
        }
    }
    return load;
}

static int can_pair(const uint16_t *pa, const uint16_t *na, const uint16_t *pb, const uint16_t *nb)
{
    for (int l = 0; l < LANES; l++)
        if (pa[l] + pb[l] > DF_PAIRS_MAX_LANE_SUM || na[l] + nb[l] > DF_PAIRS_MAX_LANE_SUM) return 0;
    return 1;
}

/* Copies quad q of the group's four blocks, 32 bytes each, to dst with the
 * given stride between blocks. */
static void copy_quad(int8_t *dst, size_t stride, const int8_t *group, int nb_inputs, int q)
{
    for (int b = 0; b < 4; b++)
        memcpy(dst + b * stride, group + (size_t)b * 8 * nb_inputs + (size_t)q * 32, 32);
}

const df_pairs *df_pairs_build(void *mem, const int8_t *w, int nb_inputs, int nb_outputs)
{
    const size_t bytes = df_pairs_bytes(nb_inputs, nb_outputs);
    const int quads = nb_inputs / 4;
    df_pairs *out = (df_pairs *)mem;
    int32_t *idx;
    int8_t *dst;
    uint16_t *pos, *neg;
    ranked *order;
    int *prv, *nxt, *pairs, *singles;
    if (!bytes || !mem || !w) return NULL;
    /* Scratch: lane sums of every quad and the ranking (a few hundred kB at
     * most: quads <= 512). */
    pos = (uint16_t *)malloc((size_t)quads * LANES * 2 * sizeof(uint16_t));
    order = (ranked *)malloc((size_t)quads * sizeof(ranked));
    prv = (int *)malloc((size_t)quads * 4 * sizeof(int));
    if (!pos || !order || !prv) {
        free(pos), free(order), free(prv);
        return NULL;
    }
    neg = pos + (size_t)quads * LANES;
    nxt = prv + quads;
    pairs = nxt + quads;
    singles = pairs + quads;

    out->nb_inputs = nb_inputs;
    out->nb_outputs = nb_outputs;
    out->groups = nb_outputs / DF_PAIRS_GROUP;
    idx = (int32_t *)(void *)((uint8_t *)mem + round64(sizeof(df_pairs)));
    dst = (int8_t *)mem + round64(sizeof(df_pairs)) + round64((size_t)out->groups * (2 + quads) * sizeof(int32_t));
    out->idx = idx;
    out->w = dst;

    for (int g = 0; g < out->groups; g++) {
        const int8_t *group = w + (size_t)g * DF_PAIRS_GROUP * nb_inputs;
        int np = 0, ns = 0;
        for (int q = 0; q < quads; q++) {
            order[q].load = lane_sums(group, nb_inputs, q, pos + (size_t)q * LANES, neg + (size_t)q * LANES);
            order[q].quad = q;
        }
        qsort(order, (size_t)quads, sizeof(ranked), by_load_desc);
        /* The quads not yet placed, heaviest first, as a doubly linked list
         * over rank positions: the heaviest takes the first of the lightest
         * that fits it. */
        for (int r = 0; r < quads; r++) {
            prv[r] = r - 1;
            nxt[r] = r + 1 < quads ? r + 1 : -1;
        }
        int head = quads ? 0 : -1, tail = quads - 1;
        while (head >= 0) {
            const int r = head, qa = order[r].quad;
            int partner = -1, tries = 0;
            head = nxt[r];
            if (head >= 0) prv[head] = -1; else tail = -1;
            for (int c = tail; c >= 0 && tries < TRIES; c = prv[c], tries++) {
                const int qb = order[c].quad;
                if (can_pair(pos + (size_t)qa * LANES, neg + (size_t)qa * LANES, pos + (size_t)qb * LANES,
                             neg + (size_t)qb * LANES)) {
                    partner = c;
                    break;
                }
            }
            if (partner < 0) {
                singles[ns++] = qa;
                continue;
            }
            /* unlink the partner */
            if (prv[partner] >= 0) nxt[prv[partner]] = nxt[partner]; else head = nxt[partner];
            if (nxt[partner] >= 0) prv[nxt[partner]] = prv[partner]; else tail = prv[partner];
            pairs[2 * np] = qa;
            pairs[2 * np + 1] = order[partner].quad;
            np++;
        }
        *idx++ = np;
        *idx++ = ns;
        for (int p = 0; p < np; p++) {
            *idx++ = 4 * pairs[2 * p];
            *idx++ = 4 * pairs[2 * p + 1];
            copy_quad(dst, 64, group, nb_inputs, pairs[2 * p]);
            copy_quad(dst + 32, 64, group, nb_inputs, pairs[2 * p + 1]);
            dst += 256;
        }
        for (int s = 0; s < ns; s++) {
            *idx++ = 4 * singles[s];
            copy_quad(dst, 32, group, nb_inputs, singles[s]);
            dst += 128;
        }
    }
    free(pos), free(order), free(prv);
    return out;
}
