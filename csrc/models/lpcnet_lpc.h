/* Signal-domain helpers of the LPCNet vocoder (FreeDV LPCNet 0.5
 * conventions): LPC from the 18-band cepstrum, and the 8-bit mu-law of the
 * excitation.  Pure functions of their arguments. */
#ifndef DREDFAST_LPCNET_LPC_H
#define DREDFAST_LPCNET_LPC_H

#ifdef __cplusplus
extern "C" {
#endif

#define DF_LPCNET_BANDS 18
#define DF_LPCNET_ORDER 16

/* Cosine tables of the inverse DCT and of the autocorrelation, filled once
 * (df_lpcnet_lpc_tables_init) so no frame calls cos. */
typedef struct {
    float idct[DF_LPCNET_BANDS * DF_LPCNET_BANDS];
    double ac_cos[(DF_LPCNET_ORDER + 1) * 160];
} df_lpcnet_lpc_tables;

void df_lpcnet_lpc_tables_init(df_lpcnet_lpc_tables *t);

/* 16 LPC coefficients a_j (prediction = -sum a_j s[n-1-j]) from the 18
 * cepstral features (column 0 carrying its -4 offset), as FreeDV's
 * lpc_from_cepstrum: inverse DCT to log10 band energies, band energies
 * interpolated linearly over the 161 bins of a 320-point spectrum, its
 * autocorrelation, a -40 dB noise floor, lag windowing (1 - 6e-5 i^2) and
 * Levinson-Durbin stopping at 30 dB of prediction gain.  Returns the
 * prediction error. */
float df_lpcnet_lpc_from_cepstrum(const df_lpcnet_lpc_tables *t, float *lpc, const float *cepstrum);

/* mu-law index (0..255) of a sample at int16 scale, with FreeDV's
 * log2 approximation (the network was trained on these indices). */
int df_lpcnet_lin2ulaw(float x);
/* Sample value (int16 scale) of a mu-law index, exact exp. */
float df_lpcnet_ulaw2lin(int u);

#ifdef __cplusplus
}
#endif

#endif
