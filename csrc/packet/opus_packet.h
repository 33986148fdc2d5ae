/* Opus packet framing (RFC 6716 section 3) and the extensions carried in a
 * packet's padding (RFC 6716 padding + the Opus extension format used by
 * libopus 1.5/1.6, where DRED travels as extension 126).
 *
 * Everything here only reads the caller's buffer; every length is checked
 * before a byte is read, so hostile packets give an error, never a read
 * outside [data, data + len). */
#ifndef DREDFAST_OPUS_PACKET_H
#define DREDFAST_OPUS_PACKET_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DF_PACKET_MAX_FRAMES 48

/* Returned (negated) by the parsers below. */
#define DF_PACKET_OK 0
#define DF_PACKET_INVALID (-4) /* same value as OPUS_INVALID_PACKET */

typedef struct {
    uint8_t toc;
    int nb_frames;            /* 1..48 */
    int samples_per_frame_48k; /* frame duration in samples at 48 kHz */
    int32_t payload_offset;   /* offset of the first frame's data */
    const uint8_t *frames[DF_PACKET_MAX_FRAMES];
    int16_t frame_len[DF_PACKET_MAX_FRAMES];
    const uint8_t *padding;   /* start of the padding bytes (NULL if none) */
    int32_t padding_len;      /* padding length in bytes (0 if none) */
} df_packet;

/* Parses a (non self-delimited) Opus packet.  Returns DF_PACKET_OK or
 * DF_PACKET_INVALID with the same acceptance rules as libopus's
 * opus_packet_parse (frame count, 120 ms limit, 1275-byte frame limit). */
int df_packet_parse(const uint8_t *data, int32_t len, df_packet *out);

/* Frame duration from the TOC byte, in samples at 48 kHz (120..2880). */
int df_packet_samples_per_frame_48k(uint8_t toc);

typedef struct {
    int id;               /* 3..127 (padding, separators, repeats are never returned) */
    int frame;            /* frame index the extension belongs to */
    const uint8_t *data;  /* extension payload (after the ID byte and any length bytes) */
    int32_t len;
} df_extension;

/* Iterator over the extensions in a padding area, in bitstream order,
 * including those produced by "repeat these extensions" markers (ID 2),
 * with libopus 1.6.1's semantics.  Plain data, no allocation. */
typedef struct {
    const uint8_t *data;
    int32_t len;
    const uint8_t *curr;
    int32_t curr_len;          /* bytes left from curr; < 0 after an error */
    const uint8_t *repeat_start;
    const uint8_t *src;
    int32_t src_len;
    int32_t repeat_len;
    const uint8_t *last_long;
    int32_t trailing_short_len;
    int nb_frames;
    int frame;
    int repeat_frame;
    int repeat_l;
} df_ext_iter;

void df_ext_iter_init(df_ext_iter *it, const uint8_t *padding, int32_t len, int nb_frames);

/* Returns 1 and fills *ext for the next extension, 0 at the end,
 * DF_PACKET_INVALID if the extension area is malformed. */
int df_ext_iter_next(df_ext_iter *it, df_extension *ext);

#define DF_DRED_EXTENSION_ID 126
#define DF_DRED_EXPERIMENTAL_VERSION 12

typedef struct {
    const uint8_t *ext_data; /* the extension data, starting with 'D', version */
    int32_t ext_len;         /* its length including the 2 prefix bytes (> 2) */
    int frame;               /* frame the extension is attached to */
    int frame_offset;        /* frame * samples_per_frame_48k / 120 (2.5 ms units) */
    int version;             /* the version byte of the DRED found */
    int skipped_version;     /* version byte of a 'D' extension 126 passed over
                              * because its version was not asked for (the
                              * last one), or -1 */
} df_dred_location;

/* Finds the first extension 126 whose data is longer than 2 bytes and
 * starts with 'D', 12, as libopus 1.6.1's dred_find_payload does.
 * Returns 1 when found, 0 when the packet carries no DRED,
 * DF_PACKET_INVALID when the packet or its extensions are malformed. */
int df_find_dred(const uint8_t *data, int32_t len, df_dred_location *loc);

/* The same for a list of version bytes, in order of preference: the first
 * extension of the most preferred version present is returned.  Extensions
 * of other versions are skipped, as libopus skips versions it does not know
 * (loc->skipped_version tells that one was seen). */
int df_find_dred_versions(const uint8_t *data, int32_t len, const int *versions, int n_versions,
                          df_dred_location *loc);

/* Whether a SILK or hybrid packet carries LBRR (in-band FEC) for the frame
 * before it: the LBRR flag after the VAD flags at the start of its first
 * frame's range-coded data, per channel (RFC 6716 4.2.3-4.2.4).  libopus
 * >= 1.5 has opus_packet_has_lbrr(); the receiver must work with 1.3 too.
 * 1, 0, or DF_PACKET_INVALID for a malformed packet. */
int df_packet_has_lbrr(const uint8_t *data, int32_t len);

#ifdef __cplusplus
}
#endif

#endif
