#include "dred_format.h"

#include <stddef.h>

/* Read-only tables: no mutable global state. */
static const df_dred_format FORMATS[] = {
    {12, 25, 50, 1, 64, 1},
    {10, 21, 19, 0, 96, 0},
};

const df_dred_format *df_dred_format_get(int version)
{
    size_t i;
    for (i = 0; i < sizeof(FORMATS) / sizeof(FORMATS[0]); i++)
        if (FORMATS[i].version == version) return &FORMATS[i];
    return (const df_dred_format *)0;
}
