/* Helpers the libFuzzer targets share: reading the weight blob at start-up
 * and choosing the kernel paths (ISAs) to run. */
#ifndef DREDFAST_FUZZ_UTIL_H
#define DREDFAST_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnet/nnet.h"

static const char *const fuzz_isa_name[DF_ISA_COUNT] = {"scalar", "avx2", "avx512"};

/* The whole file in a malloc'ed buffer (NULL if it cannot be read). */
static uint8_t *fuzz_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = (uint8_t *)malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Whether to run ISA `isa`: DREDFAST_FUZZ_ISAS, a comma-separated list of
 * names, decides when set; unset, every ISA runs, except the scalar one when
 * `scalar_only_as_fallback` and a SIMD path exists. */
static int fuzz_isa_wanted(int isa, int scalar_only_as_fallback)
{
    const char *list = getenv("DREDFAST_FUZZ_ISAS");
    const char *name = fuzz_isa_name[isa];
    size_t n = strlen(name);
    const char *p;
    if (!list || !*list)
        return !scalar_only_as_fallback || isa != DF_ISA_SCALAR ||
               !(df_isa_supported(DF_ISA_AVX2) || df_isa_supported(DF_ISA_AVX512));
    for (p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
            return 1;
    return 0;
}

#endif
