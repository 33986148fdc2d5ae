/* Opus padding extensions (the format libopus 1.5/1.6 write DRED in).
 *
 * Each extension starts with a byte id<<1 | L:
 *   id 0       padding: L=1 one byte, L=0 the rest of the area;
 *   id 1       frame separator: L=0 next frame, L=1 skip ahead by the next byte;
 *   id 2       "repeat these extensions": the extensions since the last
 *              separator are repeated for every following frame, their
 *              payloads following in order (L says how the last long one ends);
 *   id 3..31   short: L payload bytes (0 or 1);
 *   id 32..127 long: L=1 a length (255-runs + final byte) then the payload,
 *              L=0 the payload runs to the end of the area, less the short
 *              payload bytes that still follow it when repeating.
 * The semantics, including the corner cases of repeats, follow libopus 1.6.1
 * so both agree on which bytes are DRED. */
#include "opus_packet.h"

#include <stddef.h>

/* Skips the payload of an extension whose ID byte has been read.  Returns the
 * bytes left after it or -1 if it does not fit; *hdr gets the number of
 * length bytes.  trailing is the short-payload bytes an L=0 long extension
 * must leave at the end. */
static int32_t skip_payload(const uint8_t **pp, int32_t left, int32_t *hdr, int id_byte, int32_t trailing)
{
    const uint8_t *p = *pp;
    const int id = id_byte >> 1, L = id_byte & 1;
    *hdr = 0;
    if ((id == 0 && L == 1) || id == 2) {
        /* no payload */
    } else if (id > 0 && id < 32) {
        if (left < L) return -1;
        p += L;
        left -= L;
    } else if (L == 0) {
        if (left < trailing) return -1;
        p += left - trailing;
        left = trailing;
    } else {
        int32_t size = 0;
        int b;
        do {
            if (left < 1) return -1;
            b = *p++;
            (*hdr)++;
            size += b;
            left -= b + 1;
        } while (b == 255);
        if (left < 0) return -1;
        p += size;
    }
    *pp = p;
    return left;
}

/* Skips one whole extension (ID byte + payload) at the top level. */
static int32_t skip_extension(const uint8_t **pp, int32_t left, int32_t *hdr)
{
    const uint8_t *p;
    int32_t r;
    if (left <= 0) {
        *hdr = 0;
        return left;
    }
    p = *pp + 1; /* the payload follows the ID byte */
    r = skip_payload(&p, left - 1, hdr, **pp, 0);
    if (r >= 0) {
        *pp = p;
        (*hdr)++; /* report the ID byte as part of the header */
    }
    return r;
}

void df_ext_iter_init(df_ext_iter *it, const uint8_t *padding, int32_t len, int nb_frames)
{
    if (!padding || len < 0) len = 0;
    it->data = it->curr = it->repeat_start = padding;
    it->len = it->curr_len = len;
    it->src = it->last_long = NULL;
    it->src_len = it->repeat_len = 0;
    it->trailing_short_len = 0;
    it->nb_frames = nb_frames;
    it->frame = it->repeat_frame = 0;
    it->repeat_l = 0;
}

static void emit(df_extension *ext, int id, int frame, const uint8_t *start, int32_t hdr, const uint8_t *end)
{
    ext->id = id;
    ext->frame = frame;
    ext->data = start + hdr;
    ext->len = (int32_t)(end - start - hdr);
}

/* Produces the next repeated extension: the payloads of a repeat follow the
 * marker in the main stream, the IDs come from the repeated list. */
static int next_repeat(df_ext_iter *it, df_extension *ext)
{
    int32_t hdr;
    for (; it->repeat_frame < it->nb_frames; it->repeat_frame++) {
        while (it->src_len > 0) {
            int id_byte = *it->src;
            const uint8_t *start;
            it->src_len = skip_extension(&it->src, it->src_len, &hdr);
            if (it->src_len < 0) return DF_PACKET_INVALID; /* validated when first read */
            if (id_byte <= 3) /* padding and separators are not repeated */
                continue;
            /* With an L=0 marker, the last long extension of the last frame
             * runs to the end of the area. */
            if (it->repeat_l == 0 && it->repeat_frame + 1 >= it->nb_frames && it->src == it->last_long)
                id_byte &= ~1;
            start = it->curr;
            /* The payload starts at curr: there is no ID byte to skip here. */
            it->curr_len = skip_payload(&it->curr, it->curr_len, &hdr, id_byte, it->trailing_short_len);
            if (it->curr_len < 0) return DF_PACKET_INVALID;
            emit(ext, id_byte >> 1, it->repeat_frame, start, hdr, it->curr);
            return 1;
        }
        it->src = it->repeat_start;
        it->src_len = it->repeat_len;
    }
    it->repeat_start = it->curr;
    it->last_long = NULL;
    if (it->repeat_l == 0) {
        /* An L=0 repeat ends the frame's extensions; anything after belongs
         * to the next frame, and nothing can follow the last one. */
        it->frame++;
        if (it->frame >= it->nb_frames) it->curr_len = 0;
    }
    it->repeat_frame = 0;
    return 0;
}

int df_ext_iter_next(df_ext_iter *it, df_extension *ext)
{
    int32_t hdr;
    if (it->curr_len < 0) return DF_PACKET_INVALID;
    if (it->repeat_frame > 0) {
        int r = next_repeat(it, ext);
        if (r) {
            if (r < 0) it->curr_len = -1;
            return r;
        }
    }
    if (it->frame >= it->nb_frames) return 0;
    while (it->curr_len > 0) {
        const uint8_t *start = it->curr;
        const int id = start[0] >> 1, L = start[0] & 1;
        it->curr_len = skip_extension(&it->curr, it->curr_len, &hdr);
        if (it->curr_len < 0) return DF_PACKET_INVALID;
        if (id == 1) {
            if (L == 1 && start[1] == 0) continue; /* increment of 0: no-op */
            it->frame += L == 0 ? 1 : start[1];
            if (it->frame >= it->nb_frames) {
                it->curr_len = -1;
                return DF_PACKET_INVALID;
            }
            it->repeat_start = it->curr;
            it->last_long = NULL;
            it->trailing_short_len = 0;
        } else if (id == 2) {
            int r;
            it->repeat_l = L;
            it->repeat_frame = it->frame + 1;
            it->repeat_len = (int32_t)(start - it->repeat_start);
            it->src = it->repeat_start;
            it->src_len = it->repeat_len;
            r = next_repeat(it, ext);
            if (r) {
                if (r < 0) it->curr_len = -1;
                return r;
            }
        } else if (id > 2) {
            if (id >= 32) {
                it->last_long = it->curr;
                it->trailing_short_len = 0;
            } else {
                it->trailing_short_len += L;
            }
            emit(ext, id, it->frame, start, hdr, it->curr);
            return 1;
        }
    }
    return 0;
}

int df_find_dred(const uint8_t *data, int32_t len, df_dred_location *loc)
{
    static const int v12[1] = {DF_DRED_EXPERIMENTAL_VERSION};
    return df_find_dred_versions(data, len, v12, 1, loc);
}

int df_find_dred_versions(const uint8_t *data, int32_t len, const int *versions, int n_versions,
                          df_dred_location *loc)
{
    df_packet pkt;
    df_ext_iter it;
    df_extension ext;
    int r, best = n_versions; /* preference rank of what loc holds */
    loc->ext_data = NULL;
    loc->ext_len = 0;
    loc->frame = loc->frame_offset = 0;
    loc->version = 0;
    loc->skipped_version = -1;
    if (df_packet_parse(data, len, &pkt) != DF_PACKET_OK) return DF_PACKET_INVALID;
    df_ext_iter_init(&it, pkt.padding, pkt.padding_len, pkt.nb_frames);
    while ((r = df_ext_iter_next(&it, &ext)) == 1) {
        int rank;
        /* Experimental-version prefix: 'D', version, then the range-coded data. */
        if (ext.id != DF_DRED_EXTENSION_ID || ext.len <= 2 || ext.data[0] != 'D') continue;
        for (rank = 0; rank < n_versions && versions[rank] != ext.data[1]; rank++) {
        }
        if (rank == n_versions) {
            loc->skipped_version = ext.data[1];
            continue;
        }
        if (rank < best) {
            best = rank;
            loc->ext_data = ext.data;
            loc->ext_len = ext.len;
            loc->frame = ext.frame;
            loc->frame_offset = ext.frame * pkt.samples_per_frame_48k / 120;
            loc->version = ext.data[1];
            /* Nothing can beat the first choice: stop (the 1.6.1 behaviour
             * for a single version, which never reads past its DRED). */
            if (rank == 0) return 1;
        }
    }
    /* A DRED found before a malformed extension is kept: the libopus release
     * that reads its version stops at it and never sees the rest. */
    if (best < n_versions) return 1;
    return r;
}
