#include "writer.h"

#include <string.h>

/* Appends bytes if they fit; always advances the count. */
static void put(uint8_t *out, int32_t max_len, int32_t *pos, const uint8_t *src, int32_t n)
{
    if (out && *pos >= 0 && *pos + n <= max_len && n > 0)
        memcpy(out + *pos, src, (size_t)n);
    *pos += n;
}

static void put_byte(uint8_t *out, int32_t max_len, int32_t *pos, uint8_t b)
{
    put(out, max_len, pos, &b, 1);
}

/* Length of the padding: 255 stands for 254 and continues, the last byte
 * (< 255) ends it. */
static void put_lacing(uint8_t *out, int32_t max_len, int32_t *pos, int32_t n)
{
    while (n >= 255) {
        put_byte(out, max_len, pos, 255);
        n -= 254;
    }
    put_byte(out, max_len, pos, (uint8_t)n);
}

/* Length of a long extension: unlike the padding length, each 255 stands for
 * 255 (libopus's reader and writer, and skip_payload in extensions.c). */
static void put_ext_length(uint8_t *out, int32_t max_len, int32_t *pos, int32_t n)
{
    while (n >= 255) {
        put_byte(out, max_len, pos, 255);
        n -= 255;
    }
    put_byte(out, max_len, pos, (uint8_t)n);
}

static int32_t lacing_bytes(int32_t n)
{
    int32_t k = 1;
    while (n >= 255) {
        n -= 254;
        k++;
    }
    return k;
}

int32_t df_extensions_write(const df_extension *ext, int n, int nb_frames, uint8_t *out, int32_t max_len)
{
    int32_t pos = 0;
    int i, f, cur = 0, written = 0;
    for (i = 0; i < n; i++) {
        if (ext[i].id < 3 || ext[i].id > 127 || ext[i].frame < 0 || ext[i].frame >= nb_frames || ext[i].len < 0 ||
            (ext[i].len > 0 && !ext[i].data) || (ext[i].id < 32 && ext[i].len > 1))
            return DF_PACKET_INVALID;
    }
    for (f = 0; f < nb_frames; f++) {
        for (i = 0; i < n; i++) {
            const df_extension *e = &ext[i];
            if (e->frame != f) continue;
            if (f > cur) {
                /* Separator: "next frame", or "skip ahead by k". */
                if (f - cur == 1) {
                    put_byte(out, max_len, &pos, 0x02);
                } else {
                    put_byte(out, max_len, &pos, 0x03);
                    put_byte(out, max_len, &pos, (uint8_t)(f - cur));
                }
                cur = f;
            }
            written++;
            if (e->id < 32) {
                put_byte(out, max_len, &pos, (uint8_t)(e->id << 1 | e->len));
                put(out, max_len, &pos, e->data, e->len);
            } else if (written == n) {
                /* The last extension runs to the end of the area. */
                put_byte(out, max_len, &pos, (uint8_t)(e->id << 1));
                put(out, max_len, &pos, e->data, e->len);
            } else {
                put_byte(out, max_len, &pos, (uint8_t)(e->id << 1 | 1));
                put_ext_length(out, max_len, &pos, e->len);
                put(out, max_len, &pos, e->data, e->len);
            }
        }
    }
    return pos > max_len ? DF_PACKET_TOO_LARGE : pos;
}

int32_t df_packet_with_extensions(const uint8_t *in, int32_t in_len, const df_extension *ext, int n, uint8_t *out,
                                  int32_t max_len)
{
    df_packet p;
    int32_t pad, pos = 0, total;
    int i, cbr = 1;
    if (df_packet_parse(in, in_len, &p) != DF_PACKET_OK) return DF_PACKET_INVALID;
    pad = df_extensions_write(ext, n, p.nb_frames, NULL, INT32_MAX);
    if (pad < 0) return pad;
    for (i = 1; i < p.nb_frames; i++)
        if (p.frame_len[i] != p.frame_len[0]) cbr = 0;
    /* TOC with code 3, count byte, padding length, frame lengths (VBR), frames. */
    total = 2 + (pad > 0 ? lacing_bytes(pad) : 0) + pad;
    for (i = 0; i < p.nb_frames; i++)
        total += p.frame_len[i] + (!cbr && i < p.nb_frames - 1 ? (p.frame_len[i] < 252 ? 1 : 2) : 0);
    if (total > max_len) return DF_PACKET_TOO_LARGE;
    /* The output may not alias the input: frames are copied from it. */
    if (out < in + in_len && in < out + max_len) return DF_PACKET_INVALID;
    put_byte(out, max_len, &pos, (uint8_t)(p.toc | 3));
    put_byte(out, max_len, &pos, (uint8_t)(p.nb_frames | (cbr ? 0 : 0x80) | (pad > 0 ? 0x40 : 0)));
    if (pad > 0) put_lacing(out, max_len, &pos, pad);
    if (!cbr) {
        for (i = 0; i < p.nb_frames - 1; i++) {
            int l = p.frame_len[i];
            if (l < 252) {
                put_byte(out, max_len, &pos, (uint8_t)l);
            } else {
                put_byte(out, max_len, &pos, (uint8_t)(252 + (l & 3)));
                put_byte(out, max_len, &pos, (uint8_t)((l - 252) >> 2));
            }
        }
    }
    for (i = 0; i < p.nb_frames; i++)
        put(out, max_len, &pos, p.frames[i], p.frame_len[i]);
    df_extensions_write(ext, n, p.nb_frames, out + pos, max_len - pos);
    return total;
}
