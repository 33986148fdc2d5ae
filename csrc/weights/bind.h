/* Binding blob records to layers by name, with every shape checked: a
 * model never touches an array whose size it has not verified. */
#ifndef DREDFAST_BIND_H
#define DREDFAST_BIND_H

#include <stddef.h>

#include "blob.h"
#include "../nnet/nnet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Binds the linear layer named prefix (records <prefix>_bias, _weights_int8
 * + _scale + _subias, or _weights_float, and optional _weights_idx) with the
 * given shape.  Returns 0, or -1 with a message naming the record. */
int df_bind_linear(const df_blob *blob, const char *prefix, int nb_inputs, int nb_outputs,
                   df_linear *out, char *err, size_t errlen);

/* Same, for layers that have no bias (libopus's GRU matrices in FARGAN and
 * PLC): <prefix>_bias must then be absent. */
int df_bind_linear_nobias(const df_blob *blob, const char *prefix, int nb_inputs, int nb_outputs,
                          df_linear *out, char *err, size_t errlen);

/* Binds a whole array record of the given type and element count. */
int df_bind_array(const df_blob *blob, const char *name, int type, int count,
                  const void **out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
