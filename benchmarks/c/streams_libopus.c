/* N libopus 1.6.1 decoders interleaved in one thread: the reference side of
 * benchmarks/streams_per_core.py.  Links the reference static library (never
 * committed, built by ../shared/tools/reference/build.sh); this file is ours.
 *
 *   streams_libopus STREAMS.bin
 *
 * STREAMS.bin (written by streams_per_core.py): "DFST", u32 streams, u32 slots,
 * then per stream per slot a u16 length and that many bytes (0 = lost).
 *
 * Per stream the decoding follows the reference bench's `decdred` (as opus_demo -dred):
 * a gap is filled when the next packet arrives, from that packet's DRED when it
 * covers the frame, else by deep PLC.  Ticks are interleaved: in tick t every stream
 * handles slot t, so all decoders stay live (cache and TLB pressure as in a server).
 * Prints one JSON line: CPU seconds (process CPU time) of the decoding loop, audio
 * seconds produced, frames by kind, and the RSS growth from creating the decoders.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdint.h>
#include <unistd.h>
#include "opus.h"

#define FS 16000
#define FRAME (FS / 50)

typedef struct {
    OpusDecoder *dec;
    OpusDREDDecoder *dd;
    OpusDRED *dred;
    int lost_run; /* slots lost since the last packet */
} Stream;

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static long rss_bytes(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

static uint32_t rd32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: streams_libopus STREAMS.bin\n"); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(size);
    if (!buf || fread(buf, 1, size, f) != (size_t)size || size < 12 || memcmp(buf, "DFST", 4)) {
        fprintf(stderr, "%s: not a streams file\n", argv[1]);
        return 1;
    }
    fclose(f);
    const int n = (int)rd32(buf + 4), slots = (int)rd32(buf + 8);
    /* Index every slot once, before timing: the loop below only decodes. */
    const unsigned char **data = malloc(sizeof(*data) * (size_t)n * slots);
    int *len = malloc(sizeof(int) * (size_t)n * slots);
    long pos = 12;
    for (long k = 0; k < (long)n * slots; k++) {
        if (pos + 2 > size) { fprintf(stderr, "truncated\n"); return 1; }
        len[k] = buf[pos] | buf[pos + 1] << 8;
        data[k] = buf + pos + 2;
        pos += 2 + len[k];
        if (pos > size) { fprintf(stderr, "truncated\n"); return 1; }
    }
    long rss0 = rss_bytes();
    Stream *st = calloc(n, sizeof(Stream));
    int err;
    for (int s = 0; s < n; s++) {
        st[s].dec = opus_decoder_create(FS, 1, &err);
        opus_decoder_ctl(st[s].dec, OPUS_SET_COMPLEXITY(10));
        st[s].dd = opus_dred_decoder_create(&err);
        st[s].dred = opus_dred_alloc(&err);
        if (!st[s].dec || !st[s].dd || !st[s].dred) { fprintf(stderr, "create failed\n"); return 1; }
    }
    long rss1 = rss_bytes();
    long bytes_each = opus_decoder_get_size(1) + opus_dred_decoder_get_size() + opus_dred_get_size();
    static opus_int16 out[5760];
    long samples = 0, n_dred = 0, n_plc = 0, n_normal = 0;
    double t0 = cpu_now();
    for (int t = 0; t < slots; t++) {
        for (int s = 0; s < n; s++) {
            Stream *q = &st[s];
            long k = (long)s * slots + t;
            if (len[k] == 0) { q->lost_run++; continue; }
            int dred_ok = 0, dred_end = 0;
            if (q->lost_run > 0) {
                int ret = opus_dred_parse(q->dd, q->dred, data[k], len[k],
                                          q->lost_run * FRAME < FS ? q->lost_run * FRAME : FS, FS, &dred_end, 0);
                dred_ok = ret > 0;
            }
            for (int fr = 0; fr < q->lost_run; fr++) {
                int m;
                if (dred_ok) { m = opus_decoder_dred_decode(q->dec, q->dred, (q->lost_run - fr) * FRAME, out, FRAME); n_dred++; }
                else { m = opus_decode(q->dec, NULL, 0, out, FRAME, 0); n_plc++; }
                if (m > 0) samples += m;
            }
            q->lost_run = 0;
            int m = opus_decode(q->dec, data[k], len[k], out, 5760, 0);
            if (m > 0) samples += m;
            n_normal++;
        }
    }
    /* Trailing gaps: concealed as the bench does at the end of a stream. */
    for (int s = 0; s < n; s++)
        for (; st[s].lost_run > 0; st[s].lost_run--) {
            int m = opus_decode(st[s].dec, NULL, 0, out, FRAME, 0);
            if (m > 0) samples += m;
            n_plc++;
        }
    double cpu = cpu_now() - t0;
    printf("{\"streams\": %d, \"slots\": %d, \"cpu_s\": %.6f, \"audio_s\": %.3f, \"normal\": %ld, \"dred\": %ld, "
           "\"plc\": %ld, \"rss_delta\": %ld, \"bytes_each\": %ld}\n",
           n, slots, cpu, samples / (double)FS, n_normal, n_dred, n_plc, rss1 - rss0, bytes_each);
    for (int s = 0; s < n; s++) {
        opus_dred_free(st[s].dred);
        opus_dred_decoder_destroy(st[s].dd);
        opus_decoder_destroy(st[s].dec);
    }
    free(st); free(len); free(data); free(buf);
    return 0;
}
