/* LBRR flag of an Opus packet (see df_packet_has_lbrr in opus_packet.h). */
#include "opus_packet.h"

#include "../entropy/range_dec.h"

int df_packet_has_lbrr(const uint8_t *data, int32_t len)
{
    df_packet p;
    if (len < 1) return 0;
    if (data[0] & 0x80) return 0; /* TOC configs 16-31: CELT only, no SILK layer */
    if (df_packet_parse(data, len, &p) != DF_PACKET_OK) return DF_PACKET_INVALID;
    if (p.frame_len[0] <= 0) return 0;
    /* SILK frames are 20 ms; a 10 ms Opus frame holds one. */
    int silk_frames = p.samples_per_frame_48k / 960;
    if (silk_frames < 1) silk_frames = 1;
    int channels = (data[0] & 0x04) ? 2 : 1;
    df_range_dec d;
    df_range_dec_init(&d, p.frames[0], (uint32_t)p.frame_len[0]);
    int lbrr = 0;
    for (int c = 0; c < channels; c++) {
        unsigned bit = 0;
        /* VAD flags, then the LBRR flag, each a probability-1/2 symbol
         * (ec_dec_bit_logp(dec, 1)): value 1 is the lower half. */
        for (int i = 0; i <= silk_frames; i++) {
            bit = df_range_decode(&d, 2);
            if (bit > 1) bit = 1;
            df_range_dec_update(&d, bit, bit + 1, 2);
        }
        lbrr |= bit == 1;
    }
    return lbrr;
}
