#include "plc.h"

#include <string.h>

#include "../weights/bind.h"

int df_plc_bind(df_plc_model *m, const df_blob *blob, char *err, size_t errlen)
{
    memset(m, 0, sizeof(*m));
    if (df_bind_linear(blob, "plc_dense_in", DF_PLC_INPUTS, DF_PLC_DENSE, &m->dense_in, err, errlen) ||
        df_bind_linear(blob, "plc_gru1_input", DF_PLC_DENSE, 3 * DF_PLC_GRU, &m->gru1_input, err, errlen) ||
        df_bind_linear(blob, "plc_gru1_recurrent", DF_PLC_GRU, 3 * DF_PLC_GRU, &m->gru1_recurrent, err, errlen) ||
        df_bind_linear(blob, "plc_gru2_input", DF_PLC_GRU, 3 * DF_PLC_GRU, &m->gru2_input, err, errlen) ||
        df_bind_linear(blob, "plc_gru2_recurrent", DF_PLC_GRU, 3 * DF_PLC_GRU, &m->gru2_recurrent, err, errlen) ||
        df_bind_linear(blob, "plc_dense_out", DF_PLC_GRU, DF_PLC_FEATURES, &m->dense_out, err, errlen))
        return -1;
    {
        /* Every path computes these layers to the same bits (the kernel
         * tests check it), so the scalar one can make the constant. */
        const df_kernels *s = df_kernels_get(DF_ISA_SCALAR);
        float zeros[DF_PLC_INPUTS], hidden[DF_PLC_DENSE];
        memset(zeros, 0, sizeof(zeros));
        df_compute_dense(s, &m->dense_in, hidden, zeros, DF_ACT_TANH);
        s->linear(&m->gru1_input, m->gru1_lost, hidden);
    }
    return 0;
}

void df_plc_predict(const df_plc_model *m, const df_kernels *k, df_plc_net *net, const float *in, float *out)
{
    float hidden[DF_PLC_DENSE];
    df_compute_dense(k, &m->dense_in, hidden, in, DF_ACT_TANH);
    df_compute_gru(k, &m->gru1_input, &m->gru1_recurrent, net->gru1, hidden);
    /* The second GRU reads the first one's new state. */
    df_compute_gru(k, &m->gru2_input, &m->gru2_recurrent, net->gru2, net->gru1);
    df_compute_dense(k, &m->dense_out, out, net->gru2, DF_ACT_LINEAR);
}

void df_plc_predict_lost(const df_plc_model *m, const df_kernels *k, df_plc_net *net, float *out)
{
    float recur[3 * DF_PLC_GRU];
    k->linear(&m->gru1_recurrent, recur, net->gru1);
    df_gru_combine(k, net->gru1, m->gru1_lost, recur, DF_PLC_GRU);
    df_compute_gru(k, &m->gru2_input, &m->gru2_recurrent, net->gru2, net->gru1);
    df_compute_dense(k, &m->dense_out, out, net->gru2, DF_ACT_LINEAR);
}
