/* Drives a libopus 1.6.1 encoder the way ../shared/vectors48 was made (not part of
 * dredfast; see README.md next to this file):
 *
 *   enc_trace IN.raw CHANNELS BITRATE FORCE_MODE APPLICATION FS OUT.pkts [auto]
 *
 * IN.raw: int16 (interleaved if stereo) at FS; FORCE_MODE: 0 = automatic, else
 * libopus's MODE_* value (1000 SILK, 1001 hybrid, 1002 CELT); APPLICATION: 2048
 * VOIP, 2049 AUDIO, 2051 RESTRICTED_LOWDELAY.  Settings: complexity 9, VBR, 20 %
 * loss signalled, 1 s of DRED, no in-band FEC, no DTX, fullband forced (bandwidth
 * automatic with a last argument "auto", as ../shared/vectors was made); the input
 * is zero-padded to whole packets plus one.  Writes the .pkts container
 * (uint32 LE length + packet).  $ENC_TRACE_DRED overrides the DRED duration (10 ms
 * units; 0 = off), for measuring what DRED costs inside libopus; $ENC_TRACE_FRAME_MS
 * the packet duration (10, 20, 40 or 60; default 20). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "opus.h"

#define SET_FORCE_MODE_REQUEST 11002 /* opus_private.h */

int main(int argc, char **argv)
{
    if (argc != 8 && argc != 9) {
        fprintf(stderr, "usage: enc_trace IN.raw CHANNELS BITRATE FORCE_MODE APPLICATION FS OUT.pkts [auto]\n");
        return 2;
    }
    const int ch = atoi(argv[2]), bitrate = atoi(argv[3]), force = atoi(argv[4]), app = atoi(argv[5]);
    const int frame_ms = getenv("ENC_TRACE_FRAME_MS") ? atoi(getenv("ENC_TRACE_FRAME_MS")) : 20;
    const int fs = atoi(argv[6]), frame = fs / 1000 * frame_ms;
    FILE *f = fopen(argv[1], "rb");
    if (!f) return 1;
    fseek(f, 0, SEEK_END);
    const long n = ftell(f) / 2 / ch;
    fseek(f, 0, SEEK_SET);
    const long packets = (n + frame - 1) / frame + 1;
    int16_t *x = calloc((size_t)(packets * frame * ch), sizeof *x);
    if (!x || fread(x, sizeof *x, (size_t)(n * ch), f) != (size_t)(n * ch)) return 1;
    fclose(f);
    int err;
    OpusEncoder *enc = opus_encoder_create(fs, ch, app, &err);
    if (!enc) return 1;
    opus_encoder_ctl(enc, OPUS_SET_BITRATE(bitrate));
    opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(9));
    opus_encoder_ctl(enc, OPUS_SET_VBR(1));
    opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(20));
    opus_encoder_ctl(enc, OPUS_SET_DRED_DURATION(getenv("ENC_TRACE_DRED") ? atoi(getenv("ENC_TRACE_DRED")) : 100));
    opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(0));
    opus_encoder_ctl(enc, OPUS_SET_DTX(0));
    if (argc == 8) opus_encoder_ctl(enc, OPUS_SET_BANDWIDTH(OPUS_BANDWIDTH_FULLBAND));
    if (force) opus_encoder_ctl(enc, SET_FORCE_MODE_REQUEST, (opus_int32)force);
    FILE *o = fopen(argv[7], "wb");
    if (!o) return 1;
    unsigned char pkt[1500];
    for (long p = 0; p < packets; p++) {
        const int len = opus_encode(enc, x + p * frame * ch, frame, pkt, sizeof pkt);
        if (len < 0) return 1;
        const uint32_t l = (uint32_t)len;
        fwrite(&l, 4, 1, o);
        fwrite(pkt, 1, (size_t)len, o);
    }
    fclose(o);
    opus_encoder_destroy(enc);
    free(x);
    return 0;
}
