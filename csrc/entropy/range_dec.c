#include "range_dec.h"

/* Constants of the Opus range coder: 8-bit symbols in a 32-bit state whose
 * top bit is reserved for carries (RFC 6716 4.1). */
#define SYM_BITS 8
#define CODE_BITS 32
#define SYM_MAX 255u
#define CODE_TOP (1u << (CODE_BITS - 1))
#define CODE_BOT (CODE_TOP >> SYM_BITS)
#define CODE_EXTRA ((CODE_BITS - 2) % SYM_BITS + 1)
#define UINT_BITS 8
#define WINDOW_BITS 32

static int ilog(uint32_t v)
{
    return v ? 32 - __builtin_clz(v) : 0;
}

static int read_byte(df_range_dec *d)
{
    return d->offs < d->storage ? d->buf[d->offs++] : 0;
}

static int read_byte_from_end(df_range_dec *d)
{
    return d->end_offs < d->storage ? d->buf[d->storage - ++d->end_offs] : 0;
}

static void normalize(df_range_dec *d)
{
    /* Keep at least 2^23 of range: shift in one byte at a time.  The value is
     * kept inverted (distance from the top), hence the complement. */
    while (d->rng <= CODE_BOT) {
        int sym;
        d->nbits_total += SYM_BITS;
        d->rng <<= SYM_BITS;
        sym = d->rem;
        d->rem = read_byte(d);
        sym = (sym << SYM_BITS | d->rem) >> (SYM_BITS - CODE_EXTRA);
        d->val = ((d->val << SYM_BITS) + (SYM_MAX & ~(uint32_t)sym)) & (CODE_TOP - 1);
    }
}

void df_range_dec_init(df_range_dec *d, const uint8_t *buf, uint32_t storage)
{
    d->buf = (uint8_t *)(uintptr_t)buf; /* shared struct; the decoder never writes through it */
    d->storage = storage;
    d->end_offs = 0;
    d->end_window = 0;
    d->nend_bits = 0;
    d->nbits_total = CODE_BITS + 1 - ((CODE_BITS - CODE_EXTRA) / SYM_BITS) * SYM_BITS;
    d->offs = 0;
    d->rng = 1u << CODE_EXTRA;
    d->rem = read_byte(d);
    d->val = d->rng - 1 - ((uint32_t)d->rem >> (SYM_BITS - CODE_EXTRA));
    d->ext = 1;
    d->error = 0;
    normalize(d);
}

unsigned df_range_decode(df_range_dec *d, unsigned ft)
{
    unsigned s;
    d->ext = d->rng / ft;
    s = d->val / d->ext;
    return ft - (s + 1 < ft ? s + 1 : ft);
}

unsigned df_range_decode_bin(df_range_dec *d, unsigned bits)
{
    unsigned s, ft = 1u << bits;
    d->ext = d->rng >> bits;
    s = d->val / d->ext;
    return ft - (s + 1 < ft ? s + 1 : ft);
}

void df_range_dec_update(df_range_dec *d, unsigned fl, unsigned fh, unsigned ft)
{
    uint32_t s = d->ext * (ft - fh);
    d->val -= s;
    d->rng = fl > 0 ? d->ext * (fh - fl) : d->rng - s;
    normalize(d);
}

uint32_t df_range_dec_bits(df_range_dec *d, unsigned bits)
{
    uint32_t window = d->end_window, ret;
    int available = d->nend_bits;
    if ((unsigned)available < bits) {
        do {
            window |= (uint32_t)read_byte_from_end(d) << available;
            available += SYM_BITS;
        } while (available <= WINDOW_BITS - SYM_BITS);
    }
    ret = window & ((1u << bits) - 1u);
    window >>= bits;
    available -= (int)bits;
    d->end_window = window;
    d->nend_bits = available;
    d->nbits_total += (int)bits;
    return ret;
}

uint32_t df_range_dec_uint(df_range_dec *d, uint32_t ft)
{
    unsigned s;
    int ftb;
    ft--;
    ftb = ilog(ft);
    if (ftb > UINT_BITS) {
        /* Top 8 bits range coded, the rest raw from the end of the buffer. */
        uint32_t t;
        unsigned top;
        ftb -= UINT_BITS;
        top = (unsigned)(ft >> ftb) + 1;
        s = df_range_decode(d, top);
        df_range_dec_update(d, s, s + 1, top);
        t = (uint32_t)s << ftb | df_range_dec_bits(d, (unsigned)ftb);
        if (t <= ft) return t;
        d->error = 1;
        return ft;
    }
    ft++;
    s = df_range_decode(d, (unsigned)ft);
    df_range_dec_update(d, s, s + 1, (unsigned)ft);
    return s;
}

int df_range_dec_icdf16(df_range_dec *d, const uint16_t *icdf, unsigned ftb)
{
    uint32_t s = d->rng, dv = d->val, r = s >> ftb, t;
    int ret = -1;
    /* icdf ends with 0, so the loop always stops. */
    do {
        t = s;
        s = r * icdf[++ret];
    } while (dv < s);
    d->val = dv - s;
    d->rng = t - s;
    normalize(d);
    return ret;
}

int df_range_dec_tell(const df_range_dec *d)
{
    return d->nbits_total - ilog(d->rng);
}

/* Magnitudes are sent as 1 + a run of symbols in [0, 7], 7 meaning "more
 * follows".  A valid stream cannot need more than this many continuation
 * symbols for any value the quantiser produces; the cap only stops a hostile
 * payload from spinning, it never changes the result of a real one. */
#define LAPLACE_MAX_RUN 4096

int df_laplace_decode_p0(df_range_dec *d, uint16_t p0, uint16_t decay)
{
    uint16_t sign_icdf[3];
    uint16_t icdf[8];
    int s, i, v, value, runs = 0;
    sign_icdf[0] = (uint16_t)(32768 - p0);
    sign_icdf[1] = (uint16_t)(sign_icdf[0] / 2);
    sign_icdf[2] = 0;
    s = df_range_dec_icdf16(d, sign_icdf, 15);
    if (s == 0)
        return 0;
    icdf[0] = decay > 7 ? decay : 7;
    for (i = 1; i < 7; i++) {
        int next = (int)(((int32_t)icdf[i - 1] * (int32_t)decay) >> 15);
        icdf[i] = (uint16_t)(next > 7 - i ? next : 7 - i);
    }
    icdf[7] = 0;
    value = 1;
    do {
        v = df_range_dec_icdf16(d, icdf, 15);
        value += v;
    } while (v == 7 && ++runs < LAPLACE_MAX_RUN);
    if (v == 7) d->error = 1;
    return s == 2 ? -value : value;
}
