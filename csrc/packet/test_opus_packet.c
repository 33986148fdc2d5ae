/* Standalone test of the packet parsers (framing.c, extensions.c); run by
 * tests/test_c_units.py:
 *   gcc -std=c11 -Wall -Wextra -fsanitize=address,undefined -Icsrc \
 *       test_opus_packet.c framing.c extensions.c -o test_opus_packet && ./test_opus_packet
 * Inputs are copied into exact-size heap buffers so that ASan flags any read
 * past the end. */
#undef NDEBUG
#include "opus_packet.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *dup_exact(const uint8_t *p, int32_t n)
{
    uint8_t *h = malloc(n > 0 ? (size_t)n : 1);
    assert(h);
    if (n > 0)
        memcpy(h, p, (size_t)n);
    return h;
}

static int parse(const uint8_t *p, int32_t n, df_packet *out)
{
    uint8_t *h = dup_exact(p, n);
    int r = df_packet_parse(h, n, out);
    if (r == DF_PACKET_OK) { /* rebase pointers onto p for the caller */
        for (int i = 0; i < out->nb_frames; i++)
            out->frames[i] = p + (out->frames[i] - h);
        if (out->padding)
            out->padding = p + (out->padding - h);
    }
    free(h);
    return r;
}

static int find(const uint8_t *p, int32_t n, df_dred_location *loc)
{
    uint8_t *h = dup_exact(p, n);
    int r = df_find_dred(h, n, loc);
    if (r == 1) {
        assert(loc->ext_data >= h && loc->ext_data + loc->ext_len <= h + n);
        loc->ext_data = p + (loc->ext_data - h);
    }
    free(h);
    return r;
}

/* Expected extension: id, frame, offset of data in the area, length. */
typedef struct { int id, frame, off, len; } want;

/* Iterates an extension area and checks the exact sequence, then the
 * final return value (0 or INVALID), which must also stick. */
static void expect_exts(const uint8_t *area, int32_t n, int nb_frames, const want *w, int nw, int end)
{
    uint8_t *h = dup_exact(area, n);
    df_ext_iter it;
    df_extension e;
    df_ext_iter_init(&it, h, n, nb_frames);
    for (int i = 0; i < nw; i++) {
        assert(df_ext_iter_next(&it, &e) == 1);
        assert(e.id == w[i].id && e.frame == w[i].frame);
        assert(e.data - h == w[i].off && e.len == w[i].len);
    }
    assert(df_ext_iter_next(&it, &e) == end);
    assert(df_ext_iter_next(&it, &e) == end);
    free(h);
}

/* Every prefix of a valid packet must parse or be rejected, never crash. */
static void truncations(const uint8_t *p, int32_t n)
{
    for (int32_t k = 0; k <= n; k++) {
        df_packet pk;
        df_dred_location loc;
        int r = parse(p, k, &pk);
        assert(r == DF_PACKET_OK || r == DF_PACKET_INVALID);
        r = find(p, k, &loc);
        assert(r == 1 || r == 0 || r == DF_PACKET_INVALID);
    }
}

static void test_framing(void)
{
    df_packet pk;
    static uint8_t big[3000];

    /* Frame durations, RFC 6716 Table 2. */
    for (int c = 0; c < 32; c++) {
        int samples = c < 12 ? (int[]){ 480, 960, 1920, 2880 }[c & 3] /* SILK */
                    : c < 16 ? ((c & 1) ? 960 : 480)                  /* hybrid */
                    : (120 << (c & 3));                               /* CELT */
        for (int low = 0; low < 8; low++) /* stereo flag, code: irrelevant */
            assert(df_packet_samples_per_frame_48k((uint8_t)(c << 3 | low)) == samples);
    }

    /* Code 0. */
    const uint8_t c0[] = { 0x08, 1, 2, 3 };
    assert(parse(c0, 4, &pk) == 0 && pk.nb_frames == 1 && pk.frame_len[0] == 3);
    assert(pk.frames[0] == c0 + 1 && pk.payload_offset == 1 && !pk.padding && pk.padding_len == 0);
    assert(pk.samples_per_frame_48k == 960);
    assert(parse(c0, 1, &pk) == 0 && pk.frame_len[0] == 0);
    assert(parse(c0, 0, &pk) == DF_PACKET_INVALID);
    big[0] = 0x08;
    assert(parse(big, 1276, &pk) == 0 && pk.frame_len[0] == 1275);
    assert(parse(big, 1277, &pk) == DF_PACKET_INVALID);

    /* Code 1: two equal frames. */
    const uint8_t c1[] = { 0x09, 1, 2, 3, 4 };
    assert(parse(c1, 5, &pk) == 0 && pk.nb_frames == 2 && pk.frame_len[0] == 2 && pk.frame_len[1] == 2);
    assert(pk.frames[1] == c1 + 3);
    assert(parse(c1, 4, &pk) == DF_PACKET_INVALID);
    memset(big, 0, sizeof big);
    big[0] = 0x09;
    assert(parse(big, 1 + 2 * 1275, &pk) == 0 && pk.frame_len[1] == 1275);
    assert(parse(big, 1 + 2 * 1276, &pk) == DF_PACKET_INVALID);

    /* Code 2: first length coded, one or two bytes. */
    const uint8_t c2[] = { 0x0a, 2, 9, 9, 7, 7, 7 };
    assert(parse(c2, 7, &pk) == 0 && pk.nb_frames == 2 && pk.frame_len[0] == 2 && pk.frame_len[1] == 3);
    assert(pk.frames[0] == c2 + 2 && pk.frames[1] == c2 + 4 && pk.payload_offset == 2);
    assert(parse(c2, 3, &pk) == DF_PACKET_INVALID); /* first frame cut */
    memset(big, 0, sizeof big);
    big[0] = 0x0a; big[1] = 252; big[2] = 1; /* 4*1+252 = 256 */
    assert(parse(big, 3 + 256 + 5, &pk) == 0 && pk.frame_len[0] == 256 && pk.frame_len[1] == 5);
    assert(parse(big, 2, &pk) == DF_PACKET_INVALID); /* second length byte missing */
    assert(parse(big, 3 + 255, &pk) == DF_PACKET_INVALID);

    /* Code 3 CBR. */
    const uint8_t c3[] = { 0x0b, 0x03, 1, 1, 2, 2, 3, 3 };
    assert(parse(c3, 8, &pk) == 0 && pk.nb_frames == 3 && pk.frame_len[2] == 2 && pk.frames[2] == c3 + 6);
    assert(parse(c3, 7, &pk) == DF_PACKET_INVALID);
    const uint8_t c3zero[] = { 0x0b, 0x00 };
    assert(parse(c3zero, 2, &pk) == DF_PACKET_INVALID);
    assert(parse(c3zero, 1, &pk) == DF_PACKET_INVALID);
    const uint8_t c3long[] = { 0x1b, 0x03 }, c3ok[] = { 0x1b, 0x02 }; /* 60 ms frames */
    assert(parse(c3long, 2, &pk) == DF_PACKET_INVALID && parse(c3ok, 2, &pk) == 0);
    const uint8_t celt48[] = { 0x83, 48 }, celt49[] = { 0x83, 49 }; /* 2.5 ms frames */
    assert(parse(celt48, 2, &pk) == 0 && pk.nb_frames == 48 && parse(celt49, 2, &pk) == DF_PACKET_INVALID);

    /* Code 3 VBR. */
    const uint8_t v[] = { 0x0b, 0x83, 1, 2, 0xa, 0xb, 0xb, 0xc, 0xc, 0xc };
    assert(parse(v, 10, &pk) == 0 && pk.nb_frames == 3 && pk.payload_offset == 4);
    assert(pk.frame_len[0] == 1 && pk.frame_len[1] == 2 && pk.frame_len[2] == 3 && pk.frames[2] == v + 7);
    const uint8_t vbad[] = { 0x0b, 0x83, 5, 5, 1, 2, 3, 4 }; /* lengths beyond the data */
    assert(parse(vbad, 8, &pk) == DF_PACKET_INVALID);

    /* Padding: one length byte, then 255 runs (each 255 = 254 bytes + more). */
    const uint8_t p1[] = { 0x0b, 0x41, 0x02, 7, 7, 7, 0, 0 };
    assert(parse(p1, 8, &pk) == 0 && pk.frame_len[0] == 3 && pk.padding == p1 + 6 && pk.padding_len == 2);
    memset(big, 0, sizeof big);
    big[0] = 0x0b; big[1] = 0x41; big[2] = 255; big[3] = 10;
    assert(parse(big, 4 + 5 + 264, &pk) == 0 && pk.frame_len[0] == 5 && pk.padding_len == 264);
    assert(pk.padding == big + 9 && pk.payload_offset == 4);
    assert(parse(big, 4 + 263, &pk) == DF_PACKET_INVALID);
    big[3] = 255; big[4] = 0;
    assert(parse(big, 5 + 508, &pk) == 0 && pk.frame_len[0] == 0 && pk.padding_len == 508);
    truncations(big, 5 + 508 + 3);
    const uint8_t pnolen[] = { 0x0b, 0x41 }, prun[] = { 0x0b, 0x41, 255 };
    assert(parse(pnolen, 2, &pk) == DF_PACKET_INVALID && parse(prun, 3, &pk) == DF_PACKET_INVALID);
    /* Padding flag with a zero length: no padding. */
    const uint8_t p0[] = { 0x0b, 0x41, 0x00, 1 };
    assert(parse(p0, 4, &pk) == 0 && !pk.padding && pk.padding_len == 0);

    truncations(c2, 7);
    truncations(v, 10);
    truncations(p1, 8);
}

static void test_dred(void)
{
    df_dred_location loc;
    df_packet pk;

    /* As libopus writes it: 1 frame, padding = 0xFC 'D' 12 payload. */
    const uint8_t d[] = { 0x4b, 0x41, 0x06, 0x11, 0x22, 0xFC, 'D', 12, 0xA, 0xB, 0xC };
    assert(parse(d, 11, &pk) == 0 && pk.frame_len[0] == 2 && pk.padding_len == 6);
    assert(find(d, 11, &loc) == 1 && loc.ext_data == d + 6 && loc.ext_len == 5);
    assert(loc.frame == 0 && loc.frame_offset == 0);
    truncations(d, 11);

    /* 2 frames (VBR), DRED after a separator: frame 1, 8 units of 2.5 ms. */
    const uint8_t d2[] = { 0x4b, 0xC2, 0x05, 0x01, 0x11, 0x22, 0x02, 0xFC, 'D', 12, 0x7 };
    assert(find(d2, 11, &loc) == 1 && loc.frame == 1 && loc.frame_offset == 8);
    assert(loc.ext_data == d2 + 8 && loc.ext_len == 3);
    truncations(d2, 11);
    /* Same with 60 ms frames: 24 units. */
    uint8_t d2b[11];
    memcpy(d2b, d2, sizeof d2b);
    d2b[0] = 0x5b;
    assert(find(d2b, 11, &loc) == 1 && loc.frame == 1 && loc.frame_offset == 24);

    /* A 126 without the prefix, and one with only the prefix, are skipped. */
    const uint8_t d3[] = { 0x4b, 0x41, 13, 0x00,
                           0xFD, 3, 'X', 12, 1,  0xFD, 2, 'D', 12,  0xFC, 'D', 12, 9 };
    assert(find(d3, 17, &loc) == 1 && loc.ext_data == d3 + 14 && loc.ext_len == 3);

    /* No padding, padding without 126: no DRED. */
    const uint8_t n1[] = { 0x4b, 1, 2 }, n2[] = { 0x4b, 0x41, 3, 0x00, 0x07, 0x22, 0x01 };
    assert(find(n1, 3, &loc) == 0 && loc.ext_data == NULL && find(n2, 7, &loc) == 0);

    /* Bogus long lengths: the error wins over "no DRED", as in libopus,
     * even after good extensions; a DRED before the damage is still found. */
    const uint8_t b1[] = { 0x4b, 0x41, 4, 0x00, 0xFD, 5, 'D', 12 };
    const uint8_t b2[] = { 0x4b, 0x41, 4, 0x00, 0x07, 0x01, 0x41, 0xFF };
    const uint8_t b3[] = { 0x4b, 0x41, 7, 0x00, 0xFD, 3, 'D', 12, 1, 0xFD, 0xFF };
    assert(find(b1, 8, &loc) == DF_PACKET_INVALID && find(b2, 8, &loc) == DF_PACKET_INVALID);
    assert(find(b3, 11, &loc) == 1);
    assert(find(d, 0, &loc) == DF_PACKET_INVALID);
    assert(df_find_dred(NULL, 5, &loc) == DF_PACKET_INVALID);
}

static void test_extensions(void)
{
    /* Short (L = 0/1 byte), long with L=1 (255 runs), padding bytes, and a
     * final long with L=0 taking the rest. */
    static uint8_t run[300];
    memset(run, 0x33, sizeof run);
    run[0] = 0x41; run[1] = 255; run[2] = 1; /* id 32, 256 bytes */
    run[259] = 0x08;                         /* id 4, L=0 */
    run[260] = 0xFC;                         /* id 126, L=0: the rest */
    const want wr[] = { { 32, 0, 3, 256 }, { 4, 0, 260, 0 }, { 126, 0, 261, 39 } };
    expect_exts(run, 300, 1, wr, 3, 0);
    const want ws[] = { { 3, 0, 2, 0 }, { 3, 0, 3, 1 }, { 32, 0, 6, 2 } };
    const uint8_t s1[] = { 0x01, 0x06, 0x07, 0x55, 0x41, 2, 1, 2, 0x00, 0x44 };
    expect_exts(s1, 10, 1, ws, 3, 0); /* ID 0 with L=0 swallows the tail */

    /* Separators: L=0 steps one frame, L=1 steps by a byte (0: no-op);
     * landing on or past nb_frames is an error, and errors stick. */
    const uint8_t sep[] = { 0x06, 0x02, 0x06, 0x03, 0x00, 0x06, 0x03, 0x02, 0x06 };
    const want wsep[] = { { 3, 0, 1, 0 }, { 3, 1, 3, 0 }, { 3, 1, 6, 0 }, { 3, 3, 9, 0 } };
    expect_exts(sep, 9, 4, wsep, 4, 0);
    expect_exts(sep, 9, 3, wsep, 3, DF_PACKET_INVALID);
    const uint8_t sep2[] = { 0x02, 0x02 };
    expect_exts(sep2, 2, 2, NULL, 0, DF_PACKET_INVALID);

    /* Bogus long lengths. */
    const uint8_t l1[] = { 0x41 }, l2[] = { 0x41, 3, 1, 2 }, l3[] = { 0x41, 255, 255 };
    const uint8_t l4[] = { 0x07 }, l5[] = { 0x06, 0x41, 255, 0, 1 };
    expect_exts(l1, 1, 1, NULL, 0, DF_PACKET_INVALID);
    expect_exts(l2, 4, 1, NULL, 0, DF_PACKET_INVALID);
    expect_exts(l3, 3, 1, NULL, 0, DF_PACKET_INVALID);
    expect_exts(l4, 1, 1, NULL, 0, DF_PACKET_INVALID);
    const want w5[] = { { 3, 0, 1, 0 } };
    expect_exts(l5, 5, 1, w5, 1, DF_PACKET_INVALID);

    /* Repeat with L=1, 3 frames.  Group of frame 0: id 5 (1 byte), id 40
     * (long, 2 bytes), id 7 (no byte); then ID 2 and, per later frame, the
     * payloads in group order (long ones with their own length); then the
     * area goes on in frame 0. */
    const uint8_t r1[] = { 0x0B, 0xA0, 0x51, 2, 0xB0, 0xB1, 0x0E,
                           0x05,
                           0xA1, 1, 0xB2,
                           0xA2, 3, 0xC0, 0xC1, 0xC2,
                           0x15, 0xEE };
    const want w1[] = { { 5, 0, 1, 1 }, { 40, 0, 4, 2 }, { 7, 0, 7, 0 },
                        { 5, 1, 8, 1 }, { 40, 1, 10, 1 }, { 7, 1, 11, 0 },
                        { 5, 2, 11, 1 }, { 40, 2, 13, 3 }, { 7, 2, 16, 0 },
                        { 10, 0, 17, 1 } };
    expect_exts(r1, (int32_t)sizeof r1, 3, w1, 10, 0);
    /* The same with a repeated long payload cut short. */
    expect_exts(r1, 14, 3, w1, 7, DF_PACKET_INVALID);

    /* Repeat with L=0, from frame 1 of 3: the last copy of the last long
     * extension has no length and runs to the end, minus the short payload
     * bytes still owed after it (here 1, for id 3). */
    const uint8_t r2[] = { 0x02, 0xFD, 3, 'D', 12, 0x55, 0x07, 0x33,
                           0x04,
                           'D', 12, 0x66, 0x77, 0x34 };
    const want w2[] = { { 126, 1, 3, 3 }, { 3, 1, 7, 1 }, { 126, 2, 9, 4 }, { 3, 2, 13, 1 } };
    expect_exts(r2, (int32_t)sizeof r2, 3, w2, 4, 0);
    /* Packet around it: 3 x 20 ms frames; DRED in frame 1. */
    uint8_t pk2[64] = { 0x4b, 0x43, (uint8_t)sizeof r2, 0, 0, 0 };
    memcpy(pk2 + 6, r2, sizeof r2);
    df_dred_location loc;
    assert(find(pk2, 6 + (int32_t)sizeof r2, &loc) == 1 && loc.frame == 1 && loc.frame_offset == 8);
    assert(loc.ext_data == pk2 + 6 + 3 && loc.ext_len == 3);
    truncations(pk2, 6 + (int32_t)sizeof r2);

    /* L=0 repeat of a group without a long extension: the leftover bytes
     * are read as extensions of the next frame (libopus moves on a frame). */
    const uint8_t r3[] = { 0x09, 0x11, 0x04, 0x12, 0x13, 0x0C };
    const want w3[] = { { 4, 0, 1, 1 }, { 4, 1, 3, 1 }, { 4, 2, 4, 1 }, { 6, 1, 6, 0 } };
    expect_exts(r3, 6, 3, w3, 4, 0);
    /* ... and are dropped without error when there is no next frame. */
    const uint8_t r4[] = { 0x09, 0x11, 0x04, 0xFF, 0xFF };
    expect_exts(r4, 5, 1, w3, 1, 0);
    /* An L=1 repeat in the last frame copies nothing and parsing goes on. */
    const uint8_t r5[] = { 0x09, 0x11, 0x05, 0x0C };
    const want w5b[] = { { 4, 0, 1, 1 }, { 6, 0, 4, 0 } };
    expect_exts(r5, 4, 1, w5b, 2, 0);

    /* A zero-step separator does not start a new group: both extensions
     * around it are repeated; padding inside the group is not. */
    const uint8_t r6[] = { 0x09, 0x11, 0x03, 0x00, 0x01, 0x0C, 0x05, 0x22 };
    const want w6[] = { { 4, 0, 1, 1 }, { 6, 0, 6, 0 }, { 4, 1, 7, 1 }, { 6, 1, 8, 0 } };
    expect_exts(r6, 8, 2, w6, 4, 0);

    /* After an L=1 repeat the group restarts: a second marker repeats only
     * what came after the first one's payloads. */
    const uint8_t r7[] = { 0x09, 0x11, 0x05, 0x22, 0x0D, 0x33, 0x05, 0x44 };
    const want w7[] = { { 4, 0, 1, 1 }, { 4, 1, 3, 1 }, { 6, 0, 5, 1 }, { 6, 1, 7, 1 } };
    expect_exts(r7, 8, 2, w7, 4, 0);

    /* No frames: nothing, whatever the bytes. */
    expect_exts(l1, 1, 0, NULL, 0, 0);
}

int main(void)
{
    test_framing();
    test_dred();
    test_extensions();
    printf("test_opus_packet: all passed\n");
    return 0;
}
