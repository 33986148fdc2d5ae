/* Opus packet framing (RFC 6716 section 3.2), non self-delimited packets,
 * accepting exactly what libopus's opus_packet_parse accepts. */
#include "opus_packet.h"

#include <stddef.h>

/* Largest frame a packet may code (RFC 6716 3.4, R2). */
#define MAX_FRAME_BYTES 1275
/* 120 ms at 48 kHz: the longest a packet may last. */
#define MAX_PACKET_SAMPLES_48K 5760

int df_packet_samples_per_frame_48k(uint8_t toc)
{
    if (toc & 0x80) /* CELT-only: 2.5, 5, 10, 20 ms */
        return 120 << ((toc >> 3) & 3);
    if ((toc & 0x60) == 0x60) /* hybrid: 10 or 20 ms */
        return (toc & 0x08) ? 960 : 480;
    /* SILK-only: 10, 20, 40, 60 ms */
    if (((toc >> 3) & 3) == 3)
        return 2880;
    return 480 << ((toc >> 3) & 3);
}

/* One frame length: a byte < 252, or two bytes (first + 4 * second).
 * Returns the bytes used, or -1 if the length does not fit in avail. */
static int read_length(const uint8_t *p, int32_t avail, int *len)
{
    if (avail < 1) return -1;
    if (p[0] < 252) {
        *len = p[0];
        return 1;
    }
    if (avail < 2) return -1;
    *len = 4 * p[1] + p[0];
    return 2;
}

int df_packet_parse(const uint8_t *data, int32_t len, df_packet *out)
{
    const uint8_t *p;
    int32_t left, last;
    int count, i, n;
    int32_t pad = 0;

    out->nb_frames = 0;
    out->padding = NULL;
    out->padding_len = 0;
    if (!data || len <= 0) return DF_PACKET_INVALID;
    out->toc = data[0];
    out->samples_per_frame_48k = df_packet_samples_per_frame_48k(data[0]);
    p = data + 1;
    left = len - 1;

    switch (data[0] & 3) {
    case 0: /* one frame */
        count = 1;
        last = left;
        break;
    case 1: /* two frames of equal size */
        if (left & 1) return DF_PACKET_INVALID;
        count = 2;
        last = left / 2;
        out->frame_len[0] = (int16_t)last;
        break;
    case 2: /* two frames, the first one's length coded */
        count = 2;
        n = read_length(p, left, &i);
        if (n < 0 || i > left - n) return DF_PACKET_INVALID;
        p += n;
        left -= n;
        out->frame_len[0] = (int16_t)i;
        last = left - i;
        break;
    default: { /* code 3: count byte, optional padding, CBR or VBR */
        uint8_t ch;
        if (left < 1) return DF_PACKET_INVALID;
        ch = *p++;
        left--;
        count = ch & 0x3f;
        if (count == 0 || (int32_t)count * out->samples_per_frame_48k > MAX_PACKET_SAMPLES_48K)
            return DF_PACKET_INVALID;
        if (ch & 0x40) {
            /* Padding length: each 255 adds 254 bytes and another length
             * byte follows; the padding bytes sit at the end of the packet. */
            int b;
            do {
                if (left <= 0) return DF_PACKET_INVALID;
                b = *p++;
                left--;
                n = b == 255 ? 254 : b;
                left -= n;
                pad += n;
            } while (b == 255);
            if (left < 0) return DF_PACKET_INVALID;
        }
        if (ch & 0x80) { /* VBR: every frame but the last has a coded length */
            last = left;
            for (i = 0; i < count - 1; i++) {
                int flen;
                n = read_length(p, left, &flen);
                if (n < 0) return DF_PACKET_INVALID;
                left -= n;
                if (flen > left) return DF_PACKET_INVALID;
                p += n;
                out->frame_len[i] = (int16_t)flen;
                last -= n + flen;
            }
            if (last < 0) return DF_PACKET_INVALID;
        } else {
            last = left / count;
            if (last * count != left) return DF_PACKET_INVALID;
            for (i = 0; i < count - 1; i++)
                out->frame_len[i] = (int16_t)last;
        }
        break;
    }
    }
    if (last > MAX_FRAME_BYTES) return DF_PACKET_INVALID;
    out->frame_len[count - 1] = (int16_t)last;
    out->payload_offset = (int32_t)(p - data);
    for (i = 0; i < count; i++) {
        out->frames[i] = p;
        p += out->frame_len[i];
    }
    out->nb_frames = count;
    if (pad > 0) {
        out->padding = p;
        out->padding_len = pad;
    }
    return DF_PACKET_OK;
}
