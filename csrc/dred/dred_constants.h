/* Sizes fixed by the Opus 1.6 DRED format. */
#ifndef DREDFAST_DRED_CONSTANTS_H
#define DREDFAST_DRED_CONSTANTS_H

#define DF_DRED_LATENT_DIM 25
#define DF_DRED_STATE_DIM 50
#define DF_DRED_NUM_FEATURES 20
#define DF_DRED_MAX_LATENTS 26
#define DF_DRED_NUM_LEVELS 16
/* Feature frames (10 ms) produced per latent. */
#define DF_DRED_FRAMES_PER_LATENT 4
#define DF_DRED_MAX_FRAMES (DF_DRED_FRAMES_PER_LATENT * DF_DRED_MAX_LATENTS)

#endif
