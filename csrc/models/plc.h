/* The neural PLC predictor of Opus 1.6.1 (dnn/lpcnet_plc.c compute_plc_pred,
 * weights "plc4ar_16"): from 57 inputs per 10 ms frame -- 36 Burg cepstral
 * values, the 20 acoustic features and a flag -- it predicts the next
 * frame's 20 features.  Two 192-unit GRUs keep the context.
 *
 * The model is bound once and read-only (share it); the recurrent state is a
 * small plain struct so callers can back it up by assignment, which is how
 * libopus's deep PLC rewinds it (see receiver/deep_plc.c). */
#ifndef DREDFAST_PLC_H
#define DREDFAST_PLC_H

#include <stddef.h>

#include "../nnet/nnet.h"
#include "../weights/blob.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_PLC_BURG 36                       /* 2 x 18 Burg cepstral values */
#define DF_PLC_FEATURES 20
#define DF_PLC_INPUTS (DF_PLC_BURG + DF_PLC_FEATURES + 1) /* 57 */
#define DF_PLC_DENSE 128
#define DF_PLC_GRU 192

typedef struct {
    df_linear dense_in;                 /* 57 -> 128, tanh, float weights */
    df_linear gru1_input, gru1_recurrent; /* 128 -> 192 units, int8 */
    df_linear gru2_input, gru2_recurrent; /* 192 -> 192 units, int8 */
    df_linear dense_out;                /* 192 -> 20, linear, float weights */
    /* The first GRU's input product for the all-zero input every lost frame
     * gives the network: the same each time, so made once when binding. */
    float gru1_lost[3 * DF_PLC_GRU];
} df_plc_model;

typedef struct {
    float gru1[DF_PLC_GRU];
    float gru2[DF_PLC_GRU];
} df_plc_net;

/* Binds the plc_* records.  0, or -1 with err naming the faulty record. */
int df_plc_bind(df_plc_model *m, const df_blob *blob, char *err, size_t errlen);
/* One step: in[57] -> out[20]; advances net.  out may not alias in. */
void df_plc_predict(const df_plc_model *m, const df_kernels *k, df_plc_net *net, const float *in, float *out);
/* The same for the all-zero input of a lost frame (libopus's
 * compute_plc_pred(st, out, zeros)), skipping the work that input fixes. */
void df_plc_predict_lost(const df_plc_model *m, const df_kernels *k, df_plc_net *net, float *out);

#ifdef __cplusplus
}
#endif

#endif
