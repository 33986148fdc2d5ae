/* Writing Opus packets with extensions in their padding: the primary frames
 * are kept byte for byte, the packet is re-framed as code 3 (RFC 6716 3.2.5)
 * and the extensions are laid out as libopus lays them out. */
#ifndef DREDFAST_PACKET_WRITER_H
#define DREDFAST_PACKET_WRITER_H

#include <stdint.h>

#include "opus_packet.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DF_PACKET_TOO_LARGE (-2) /* same value as OPUS_BUFFER_TOO_SMALL */

/* Writes the extensions (ext[i].frame < number of frames of the packet,
 * ids 3..127, short ones with len 0 or 1) into the padding area; returns the
 * number of bytes, or DF_PACKET_TOO_LARGE / DF_PACKET_INVALID.  out may be
 * NULL to only measure.  Extensions are ordered by frame (stable); a long
 * extension that ends the area takes the rest of it (L = 0), the others
 * carry their length. */
int32_t df_extensions_write(const df_extension *ext, int n, int nb_frames, uint8_t *out, int32_t max_len);

/* Re-frames the packet `in` with the given extensions as its padding.
 * Returns the new length, DF_PACKET_INVALID for a malformed input or bad
 * extension list, DF_PACKET_TOO_LARGE if it would exceed max_len. */
int32_t df_packet_with_extensions(const uint8_t *in, int32_t in_len, const df_extension *ext, int n, uint8_t *out,
                                  int32_t max_len);

#ifdef __cplusplus
}
#endif

#endif
