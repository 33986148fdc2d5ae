/* Builder of the AVX-512 interleaved layout (x16.h). */
#include "x16.h"

#include <string.h>

#include "nnet.h"

static size_t round64(size_t n) { return (n + 63) / 64 * 64; }

size_t df_x16_bytes(int nb_inputs, int nb_outputs)
{
    if (nb_inputs < 16 || nb_outputs < 32 || nb_inputs % 4 || nb_outputs % 8 || nb_inputs > DF_MAX_INPUTS ||
        nb_outputs > 4 * DF_MAX_INPUTS)
        return 0;
    return round64(sizeof(df_x16)) + (size_t)(nb_outputs / 32) * 32 * (size_t)(nb_inputs / 16 * 16);
}

const df_x16 *df_x16_build(void *mem, const int8_t *w, int nb_inputs, int nb_outputs)
{
    const size_t bytes = df_x16_bytes(nb_inputs, nb_outputs), block = (size_t)nb_inputs * 8;
    df_x16 *out = (df_x16 *)mem;
    int8_t *dst;
    if (!bytes || !mem || !w) return NULL;
    out->nb_inputs = nb_inputs;
    out->nb_outputs = nb_outputs;
    dst = (int8_t *)mem + round64(sizeof(df_x16));
    out->w = dst;
    for (int g = 0; g < nb_outputs / 32; g++) {
        const int8_t *group = w + (size_t)g * 4 * block;
        for (int j = 0; j + 16 <= nb_inputs; j += 16)
            for (int half = 0; half < 2; half++)
                for (int b = 0; b < 4; b++, dst += 64)
                    memcpy(dst, group + (size_t)b * block + (size_t)j * 8 + 64 * (size_t)half, 64);
    }
    return out;
}
