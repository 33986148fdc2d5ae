/* Helpers the libFuzzer targets share: invariant checks, reading the weight
 * blob at start-up and choosing the kernel paths (ISAs) to run.  A target
 * defines FUZZ_NAME (its name, for messages) before including this file. */
#ifndef DREDFAST_FUZZ_UTIL_H
#define DREDFAST_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnet/nnet.h"
#include "weights/blob.h"

#ifndef FUZZ_NAME
#error "define FUZZ_NAME before including fuzz_util.h"
#endif

#ifndef DREDFAST_DEFAULT_BLOB
#define DREDFAST_DEFAULT_BLOB "weights/opus-1.6.1.bin"
#endif

/* A violated invariant traps, so that libFuzzer keeps the input. */
#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, FUZZ_NAME ": invariant failed: %s (line %d)\n", #cond, __LINE__); \
            __builtin_trap();                                                              \
        }                                                                                  \
    } while (0)

static const char *const fuzz_isa_name[DF_ISA_COUNT] = {"scalar", "avx2", "avx512", "neon",
                                                             "neon_dotprod"};

/* The whole file in a malloc'ed buffer (NULL if it cannot be read). */
static inline uint8_t *fuzz_read_file(const char *path, size_t *len)
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

/* The weight blob named by DREDFAST_BLOB (default DREDFAST_DEFAULT_BLOB),
 * parsed; aborts when it cannot be read or parsed (a set-up error, not a
 * finding).  Lives as long as the process: models point into it. */
static inline df_blob *fuzz_load_blob(void)
{
    const char *path = getenv("DREDFAST_BLOB");
    char err[256];
    size_t len = 0;
    uint8_t *bytes;
    df_blob *blob;
    if (!path || !*path) path = DREDFAST_DEFAULT_BLOB;
    bytes = fuzz_read_file(path, &len);
    if (!bytes) {
        fprintf(stderr, FUZZ_NAME ": cannot read weight blob %s (set DREDFAST_BLOB)\n", path);
        abort();
    }
    blob = df_blob_parse(bytes, len, err, sizeof err);
    free(bytes);
    if (!blob) {
        fprintf(stderr, FUZZ_NAME ": %s: %s\n", path, err);
        abort();
    }
    return blob;
}

/* Whether to run ISA `isa`: DREDFAST_FUZZ_ISAS, a comma-separated list of
 * names, decides when set; unset, every ISA runs, except the scalar one when
 * `scalar_only_as_fallback` and a SIMD path exists. */
static inline int fuzz_isa_wanted(int isa, int scalar_only_as_fallback)
{
    const char *list = getenv("DREDFAST_FUZZ_ISAS");
    const char *name = fuzz_isa_name[isa];
    size_t n = strlen(name);
    const char *p;
    if (!list || !*list)
        return !scalar_only_as_fallback || isa != DF_ISA_SCALAR || df_isa_best() == DF_ISA_SCALAR;
    for (p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
            return 1;
    return 0;
}

#endif
