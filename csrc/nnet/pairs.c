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
    return round64(sizeof(df_pairs)) + round64(groups * (DF_PAIRS_CLASSES + 1 + quads) * sizeof(int32_t)) +
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

/* Bit b set: block b of the group keeps every lane of quads a + b within
 * the bound (the two can share its widening). */
static int fit_mask(const uint16_t *pa, const uint16_t *na, const uint16_t *pb, const uint16_t *nb)
{
    int mask = 0;
    for (int b = 0; b < 4; b++) {
        /* no early exit: the compiler turns the 16 lanes into a few vector
         * operations (this check is most of the build's time) */
        int over = 0;
        for (int l = 16 * b; l < 16 * b + 16; l++)
            over |= (pa[l] + pb[l] > DF_PAIRS_MAX_LANE_SUM) | (na[l] + nb[l] > DF_PAIRS_MAX_LANE_SUM);
        mask |= !over << b;
    }
    return mask;
}

/* The class a fit mask allows (index into DF_PAIRS_CLASS_MASKS). */
static int class_of(int mask)
{
    const int lo = (mask & 3) == 3, hi = (mask & 12) == 12;
    return lo && hi ? 0 : lo ? 1 : hi ? 2 : 3;
}

/* Blocks that share in a class. */
static int shared_blocks(int cls) { return cls == 0 ? 4 : cls == 3 ? 0 : 2; }

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
    prv = (int *)malloc((size_t)quads * 5 * sizeof(int));
    if (!pos || !order || !prv) {
        free(pos), free(order), free(prv);
        return NULL;
    }
    neg = pos + (size_t)quads * LANES;
    nxt = prv + quads;
    pairs = nxt + quads;      /* 3 per pair: quad a, quad b, class */
    singles = pairs + 2 * quads;

    out->nb_inputs = nb_inputs;
    out->nb_outputs = nb_outputs;
    out->groups = nb_outputs / DF_PAIRS_GROUP;
    idx = (int32_t *)(void *)((uint8_t *)mem + round64(sizeof(df_pairs)));
    dst = (int8_t *)mem + round64(sizeof(df_pairs)) + round64((size_t)out->groups * (DF_PAIRS_CLASSES + 1 + quads) * sizeof(int32_t));
    out->idx = idx;
    out->w = dst;

    for (int g = 0; g < out->groups; g++) {
        const int8_t *group = w + (size_t)g * DF_PAIRS_GROUP * nb_inputs;
        int np = 0, ns = 0, count[DF_PAIRS_CLASSES] = {0};
        for (int q = 0; q < quads; q++) {
            order[q].load = lane_sums(group, nb_inputs, q, pos + (size_t)q * LANES, neg + (size_t)q * LANES);
            order[q].quad = q;
        }
        qsort(order, (size_t)quads, sizeof(ranked), by_load_desc);
        /* Two rounds over the quads not yet placed (a doubly linked list over
         * rank positions, heaviest first): in the first a quad takes the
         * first of the lightest TRIES that fits it in all four blocks; in the
         * second the leftovers pair up anyway, each with the partner that
         * fits it in most blocks (the blocks that do not fit widen each quad
         * on its own, as the plain kernel does). */
        for (int round = 0; round < 2; round++) {
            int n = 0, head, tail;
            if (round == 0) {
                for (int r = 0; r < quads; r++) singles[n++] = r; /* rank positions */
            } else {
                n = ns;
                ns = 0;
            }
            for (int r = 0; r < n; r++) {
                prv[r] = r - 1;
                nxt[r] = r + 1 < n ? r + 1 : -1;
            }
            /* list entries index singles[], which holds rank positions */
            head = n ? 0 : -1;
            tail = n - 1;
            while (head >= 0) {
                const int e = head, qa = order[singles[e]].quad;
                int partner = -1, best = -1, best_class = 0, tries = 0;
                head = nxt[e];
                if (head >= 0) prv[head] = -1; else tail = -1;
                for (int c = tail; c >= 0 && tries < TRIES; c = prv[c], tries++) {
                    const int qb = order[singles[c]].quad;
                    const int m = fit_mask(pos + (size_t)qa * LANES, neg + (size_t)qa * LANES,
                                           pos + (size_t)qb * LANES, neg + (size_t)qb * LANES);
                    const int cls = class_of(m), got = shared_blocks(cls);
                    if (round == 0 ? got == 4 : got > best) {
                        partner = c;
                        best = got;
                        best_class = cls;
                        if (got == 4) break;
                    }
                }
                if (partner < 0) {
                    /* round 0: left for round 1 (stored over entries already
                     * read: ns <= e); round 1: the one quad left over */
                    singles[ns++] = singles[e];
                    continue;
                }
                if (prv[partner] >= 0) nxt[prv[partner]] = nxt[partner]; else head = nxt[partner];
                if (nxt[partner] >= 0) prv[nxt[partner]] = prv[partner]; else tail = prv[partner];
                pairs[3 * np] = qa;
                pairs[3 * np + 1] = order[singles[partner]].quad;
                pairs[3 * np + 2] = best_class;
                count[best_class]++;
                np++;
            }
        }
        for (int m = 0; m < DF_PAIRS_CLASSES; m++) *idx++ = count[m];
        *idx++ = ns;
        /* slots grouped by class, in the kernel's order */
        for (int m = 0; m < DF_PAIRS_CLASSES; m++)
            for (int p = 0; p < np; p++) {
                if (pairs[3 * p + 2] != m) continue;
                *idx++ = 4 * pairs[3 * p];
                *idx++ = 4 * pairs[3 * p + 1];
                copy_quad(dst, 64, group, nb_inputs, pairs[3 * p]);
                copy_quad(dst + 32, 64, group, nb_inputs, pairs[3 * p + 1]);
                dst += 256;
            }
        for (int i = 0; i < ns; i++) {
            const int q = order[singles[i]].quad;
            *idx++ = 4 * q;
            copy_quad(dst, 32, group, nb_inputs, q);
            dst += 128;
        }
    }
    free(pos), free(order), free(prv);
    return out;
}
