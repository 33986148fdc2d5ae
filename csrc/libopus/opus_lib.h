/* The system libopus, loaded at run time (dlopen) into a table of the
 * functions dredfast calls: the one libopus loader of the package, used by
 * the C receiver (csrc/receiver) and by the Cython binding behind the
 * Python API (dredfast/_opus.pyx), so both accept the same libraries.
 *
 * Why not link it: any libopus >= 1.3 the user points to (a path, the
 * DREDFAST_LIBOPUS variable, the system's or one shipped beside the package)
 * must work without rebuilding, and a machine without libopus must still
 * import dredfast (the DRED and neural parts need no libopus).  The public
 * libopus ABI is stable since 1.0, so the prototypes below are declared
 * here from the documented API rather than taken from its headers.
 *
 * A table is plain data owned by its user (each receiver holds its own);
 * dlopen keeps one copy of the library mapped however many tables point
 * to it. */
#ifndef DREDFAST_OPUS_LIB_H
#define DREDFAST_OPUS_LIB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CTL requests and values of opus_defines.h (public, stable). */
#define DF_OPUS_SET_APPLICATION 4000
#define DF_OPUS_SET_BITRATE 4002
#define DF_OPUS_SET_BANDWIDTH 4008
#define DF_OPUS_SET_VBR 4006
#define DF_OPUS_SET_COMPLEXITY 4010
#define DF_OPUS_SET_SIGNAL 4024
#define DF_OPUS_GET_LOOKAHEAD 4027
#define DF_OPUS_RESET_STATE 4028
#define DF_OPUS_GET_FINAL_RANGE 4031
/* OPUS_SET_FORCE_MODE (opus_private.h); every release since 1.0 handles it. */
#define DF_OPUS_SET_FORCE_MODE 11002
#define DF_OPUS_MODE_SILK_ONLY 1000
#define DF_OPUS_APPLICATION_VOIP 2048
#define DF_OPUS_SIGNAL_VOICE 3001
#define DF_OPUS_BANDWIDTH_NARROWBAND 1101

typedef struct {
    void *handle;
    char version[64];
    const char *(*get_version_string)(void);
    int (*decoder_get_size)(int channels);
    int (*decoder_init)(void *st, int32_t fs, int channels);
    int (*decode)(void *st, const unsigned char *data, int32_t len, int16_t *pcm, int frame_size, int decode_fec);
    int (*decoder_ctl)(void *st, int request, ...);
    int (*encoder_get_size)(int channels);
    int (*encoder_init)(void *st, int32_t fs, int channels, int application);
    int32_t (*encode_float)(void *st, const float *pcm, int frame_size, unsigned char *data, int32_t max_bytes);
    int (*encoder_ctl)(void *st, int request, ...);
    /* What the Python API needs beyond the receiver (dredfast/_opus.pyx). */
    const char *(*strerror)(int error);
    int (*decode_float)(void *st, const unsigned char *data, int32_t len, float *pcm, int frame_size, int decode_fec);
    void (*pcm_soft_clip)(float *pcm, int frame_size, int channels, float *softclip_mem);
    int32_t (*encode)(void *st, const int16_t *pcm, int frame_size, unsigned char *data, int32_t max_bytes);
    int (*packet_get_nb_samples)(const unsigned char *data, int32_t len, int32_t fs);
    int (*packet_get_samples_per_frame)(const unsigned char *data, int32_t fs);
    int (*packet_parse)(const unsigned char *data, int32_t len, unsigned char *toc, const unsigned char *frames[48],
                        int16_t size[48], int *payload_offset);
    /* Only in libopus >= 1.5: NULL in older ones (dredfast reads the flags itself then). */
    int (*packet_has_lbrr)(const unsigned char *data, int32_t len);
} df_opus_lib;

/* Loads `path` (a file name or soname dlopen understands).  0, or -1 with a
 * message in err (not found, not libopus, older than 1.3). */
int df_opus_lib_open(df_opus_lib *lib, const char *path, char *err, size_t errlen);
/* Drops this table's reference to the library (a zeroed table is fine). */
void df_opus_lib_close(df_opus_lib *lib);

#ifdef __cplusplus
}
#endif
#endif
