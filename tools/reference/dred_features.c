/* Writes libopus's DRED features for every packet of a .pkts file (uint32-LE
 * length + packet): per packet an int32 nb_latents (-1: no DRED) followed by
 * 4*nb_latents*20 float32 (OpusDRED.fec_features after processing, row 0 =
 * newest).  Compiled against a libopus build tree by calibrate_features.sh, to
 * compare a libopus built on this machine with the reference vectors and
 * with dredfast.  Public API only, plus the OpusDRED layout of the tree's
 * dnn/dred_decoder.h to read the features. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "opus.h"
#include "dred_decoder.h"

int main(int argc, char **argv)
{
    FILE *f, *o;
    unsigned char len4[4], pkt[1500];
    int err;
    if (argc < 3) {
        fprintf(stderr, "usage: dred_features FILE.pkts OUT.bin\n");
        return 2;
    }
    f = fopen(argv[1], "rb");
    o = fopen(argv[2], "wb");
    if (!f || !o) {
        perror("open");
        return 1;
    }
    OpusDREDDecoder *dd = opus_dred_decoder_create(&err);
    OpusDRED *dred = opus_dred_alloc(&err);
    if (!dd || !dred) return 1;
    while (fread(len4, 1, 4, f) == 4) {
        uint32_t n = len4[0] | len4[1] << 8 | len4[2] << 16 | (uint32_t)len4[3] << 24;
        int dred_end = 0, ret;
        int32_t nl = -1;
        if (n > sizeof pkt || fread(pkt, 1, n, f) != n) return 1;
        ret = opus_dred_parse(dd, dred, pkt, (opus_int32)n, 16000, 16000, &dred_end, 0);
        if (ret > 0) nl = dred->nb_latents;
        fwrite(&nl, 4, 1, o);
        if (nl > 0) fwrite(dred->fec_features, sizeof(float), (size_t)4 * nl * 20, o);
    }
    opus_dred_free(dred);
    opus_dred_decoder_destroy(dd);
    fclose(f);
    fclose(o);
    return 0;
}
