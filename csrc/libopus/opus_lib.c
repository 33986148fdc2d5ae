/* Run-time loading of the system libopus (see opus_lib.h). */
#define _GNU_SOURCE
#include "opus_lib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* dlsym returns void *; it is copied into the function pointer with memcpy
 * (ISO C has no cast between object and function pointers). */
static void *sym(void *h, const char *name, int *missing)
{
    void *p = dlsym(h, name);
    if (!p) *missing = 1;
    return p;
}

#define BIND(field, name)                                        \
    do {                                                         \
        void *p_ = sym(h, name, &missing);                       \
        memcpy(&lib->field, &p_, sizeof(p_));                    \
    } while (0)

int df_opus_lib_open(df_opus_lib *lib, const char *path, char *err, size_t errlen)
{
    memset(lib, 0, sizeof(*lib));
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(err, errlen, "%s", e ? e : "dlopen failed");
        return -1;
    }
    int missing = 0;
    BIND(get_version_string, "opus_get_version_string");
    BIND(decoder_get_size, "opus_decoder_get_size");
    BIND(decoder_init, "opus_decoder_init");
    BIND(decode, "opus_decode");
    BIND(decoder_ctl, "opus_decoder_ctl");
    BIND(encoder_get_size, "opus_encoder_get_size");
    BIND(encoder_init, "opus_encoder_init");
    BIND(encode_float, "opus_encode_float");
    BIND(encoder_ctl, "opus_encoder_ctl");
    BIND(strerror, "opus_strerror");
    BIND(decode_float, "opus_decode_float");
    BIND(pcm_soft_clip, "opus_pcm_soft_clip");
    BIND(encode, "opus_encode");
    BIND(packet_get_nb_samples, "opus_packet_get_nb_samples");
    BIND(packet_get_samples_per_frame, "opus_packet_get_samples_per_frame");
    BIND(packet_parse, "opus_packet_parse");
    if (missing) {
        snprintf(err, errlen, "%s: not libopus (missing symbols)", path);
        dlclose(h);
        memset(lib, 0, sizeof(*lib));
        return -1;
    }
    {   /* optional: absent before 1.5 */
        int optional_missing = 0;
        void *p_ = sym(h, "opus_packet_has_lbrr", &optional_missing);
        memcpy(&lib->packet_has_lbrr, &p_, sizeof(p_));
    }
    const char *v = lib->get_version_string();
    snprintf(lib->version, sizeof(lib->version), "%s", v ? v : "");
    /* "libopus 1.3.1" (or a git describe): refuse 1.0-1.2, accept anything
     * without a parsable X.Y, as the Python loader does. */
    const char *d = lib->version;
    while (*d && (*d < '0' || *d > '9')) d++;
    int major = 0, minor = 0;
    if (*d && sscanf(d, "%d.%d", &major, &minor) == 2 && (major < 1 || (major == 1 && minor < 3))) {
        snprintf(err, errlen, "%s is %s, dredfast needs libopus >= 1.3", path, lib->version);
        dlclose(h);
        memset(lib, 0, sizeof(*lib));
        return -1;
    }
    lib->handle = h;
    return 0;
}

void df_opus_lib_close(df_opus_lib *lib)
{
    if (lib->handle) dlclose(lib->handle);
    memset(lib, 0, sizeof(*lib));
}
