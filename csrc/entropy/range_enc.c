#include "range_enc.h"

#include <string.h>

#define SYM_BITS 8
#define CODE_BITS 32
#define SYM_MAX 255u
#define CODE_TOP (1u << (CODE_BITS - 1))
#define CODE_BOT (CODE_TOP >> SYM_BITS)
#define CODE_SHIFT (CODE_BITS - SYM_BITS - 1)
#define UINT_BITS 8
#define WINDOW_BITS 32

static int ilog(uint32_t v)
{
    return v ? 32 - __builtin_clz(v) : 0;
}

static void write_byte(df_range_enc *e, unsigned v)
{
    if (e->offs + e->end_offs >= e->storage) {
        e->error = 1;
        return;
    }
    e->buf[e->offs++] = (uint8_t)v;
}

static void write_byte_at_end(df_range_enc *e, unsigned v)
{
    if (e->offs + e->end_offs >= e->storage) {
        e->error = 1;
        return;
    }
    e->buf[e->storage - ++e->end_offs] = (uint8_t)v;
}

/* Outputs the top byte of the low end.  A byte of 255 may still receive a
 * carry, so runs of them are counted (ext) and written once the carry is
 * known; rem holds the last byte before such a run. */
static void carry_out(df_range_enc *e, int c)
{
    if (c != (int)SYM_MAX) {
        int carry = c >> SYM_BITS;
        if (e->rem >= 0)
            write_byte(e, (unsigned)(e->rem + carry));
        if (e->ext > 0) {
            unsigned sym = (SYM_MAX + (unsigned)carry) & SYM_MAX;
            do write_byte(e, sym);
            while (--e->ext > 0);
        }
        e->rem = c & (int)SYM_MAX;
    } else {
        e->ext++;
    }
}

static void normalize(df_range_enc *e)
{
    /* An impossible symbol (probability 0, e.g. from a hostile table) leaves
     * an empty range, which no shift can refill: flag it instead of looping
     * forever.  Never taken with valid tables, so the bits are unchanged. */
    if (e->rng == 0) {
        e->error = 1;
        e->rng = CODE_TOP;
        return;
    }
    while (e->rng <= CODE_BOT) {
        carry_out(e, (int)(e->val >> CODE_SHIFT));
        e->val = (e->val << SYM_BITS) & (CODE_TOP - 1);
        e->rng <<= SYM_BITS;
        e->nbits_total += SYM_BITS;
    }
}

void df_range_enc_init(df_range_enc *e, uint8_t *buf, uint32_t size)
{
    e->buf = buf;
    e->storage = size;
    e->end_offs = 0;
    e->end_window = 0;
    e->nend_bits = 0;
    e->nbits_total = CODE_BITS + 1;
    e->offs = 0;
    e->rng = CODE_TOP;
    e->rem = -1;
    e->val = 0;
    e->ext = 0;
    e->error = 0;
}

void df_range_encode(df_range_enc *e, unsigned fl, unsigned fh, unsigned ft)
{
    uint32_t r = e->rng / ft;
    if (fl > 0) {
        e->val += e->rng - r * (ft - fl);
        e->rng = r * (fh - fl);
    } else {
        e->rng -= r * (ft - fh);
    }
    normalize(e);
}

void df_range_enc_icdf16(df_range_enc *e, int s, const uint16_t *icdf, unsigned ftb)
{
    uint32_t r = e->rng >> ftb;
    if (s > 0) {
        e->val += e->rng - r * icdf[s - 1];
        e->rng = r * (uint32_t)(icdf[s - 1] - icdf[s]);
    } else {
        e->rng -= r * icdf[s];
    }
    normalize(e);
}

void df_range_enc_bits(df_range_enc *e, uint32_t fl, unsigned bits)
{
    uint32_t window = e->end_window;
    int used = e->nend_bits;
    if (used + (int)bits > WINDOW_BITS) {
        do {
            write_byte_at_end(e, window & SYM_MAX);
            window >>= SYM_BITS;
            used -= SYM_BITS;
        } while (used >= SYM_BITS);
    }
    window |= fl << used;
    used += (int)bits;
    e->end_window = window;
    e->nend_bits = used;
    e->nbits_total += (int)bits;
}

void df_range_enc_uint(df_range_enc *e, uint32_t fl, uint32_t ft)
{
    int ftb;
    ft--;
    ftb = ilog(ft);
    if (ftb > UINT_BITS) {
        unsigned top;
        ftb -= UINT_BITS;
        top = (unsigned)(ft >> ftb) + 1;
        df_range_encode(e, (unsigned)(fl >> ftb), (unsigned)(fl >> ftb) + 1, top);
        df_range_enc_bits(e, fl & ((1u << ftb) - 1u), (unsigned)ftb);
    } else {
        df_range_encode(e, (unsigned)fl, (unsigned)fl + 1, (unsigned)ft + 1);
    }
}

int df_range_enc_tell(const df_range_enc *e)
{
    return e->nbits_total - ilog(e->rng);
}

void df_range_enc_done(df_range_enc *e)
{
    uint32_t window, msk, end;
    int used, l;
    /* Output the fewest bits that still identify a value inside the final
     * range, rounded so that trailing bits are zero. */
    l = CODE_BITS - ilog(e->rng);
    msk = (CODE_TOP - 1) >> l;
    end = (e->val + msk) & ~msk;
    if ((end | msk) >= e->val + e->rng) {
        l++;
        msk >>= 1;
        end = (e->val + msk) & ~msk;
    }
    while (l > 0) {
        carry_out(e, (int)(end >> CODE_SHIFT));
        end = (end << SYM_BITS) & (CODE_TOP - 1);
        l -= SYM_BITS;
    }
    if (e->rem >= 0 || e->ext > 0)
        carry_out(e, 0);
    /* Flush the raw bits written from the end. */
    window = e->end_window;
    used = e->nend_bits;
    while (used >= SYM_BITS) {
        write_byte_at_end(e, window & SYM_MAX);
        window >>= SYM_BITS;
        used -= SYM_BITS;
    }
    if (!e->error) {
        /* Zero the gap between the two ends, then merge a last partial byte
         * of raw bits into it. */
        if (e->buf && e->storage > e->offs + e->end_offs)
            memset(e->buf + e->offs, 0, e->storage - e->offs - e->end_offs);
        if (used > 0) {
            if (e->end_offs >= e->storage) {
                e->error = 1;
            } else {
                l = -l;
                /* Range-coded bits and raw bits overlap in the last byte:
                 * only keep the raw bits that fit. */
                if (e->offs + e->end_offs >= e->storage && l < used) {
                    window &= (1u << l) - 1u;
                    e->error = 1;
                }
                e->buf[e->storage - e->end_offs - 1] |= (uint8_t)window;
            }
        }
    }
}

void df_laplace_encode_p0(df_range_enc *e, int value, uint16_t p0, uint16_t decay)
{
    uint16_t sign_icdf[3];
    uint16_t icdf[8];
    int s, i;
    sign_icdf[0] = (uint16_t)(32768 - p0);
    sign_icdf[1] = (uint16_t)(sign_icdf[0] / 2);
    sign_icdf[2] = 0;
    s = value == 0 ? 0 : (value > 0 ? 1 : 2);
    df_range_enc_icdf16(e, s, sign_icdf, 15);
    if (value == 0)
        return;
    value = value < 0 ? -value : value;
    icdf[0] = decay > 7 ? decay : 7;
    for (i = 1; i < 7; i++) {
        int next = (int)(((int32_t)icdf[i - 1] * (int32_t)decay) >> 15);
        icdf[i] = (uint16_t)(next > 7 - i ? next : 7 - i);
    }
    icdf[7] = 0;
    /* Magnitude - 1 as a run of symbols 0..7, 7 meaning "7 more, continue". */
    value--;
    do {
        df_range_enc_icdf16(e, value < 7 ? value : 7, icdf, 15);
        value -= 7;
    } while (value >= 0);
}
