/* Internal pieces shared by verifier.c (the state machine), verifier_sig.c (signature sector)
 * and verify_whole.c (bytes at rest). */
#ifndef HOTA_IMAGE_VERIFIER_PRIV_H
#define HOTA_IMAGE_VERIFIER_PRIV_H

#include "hota/image.h"

/* Parse and verify every signature block of v->sector against the image digests (SHA-256 and
 * SHA-384 of [0, signed_len); d384 NULL when the SHA-384 pass did not run: P-384 blocks are
 * then HOTA_E_UNSUPPORTED); fills v->info.sigs / sig_count. Returns the verdict as if a
 * trusted signature were required: HOTA_OK (a block is valid and trusted), HOTA_E_SIG_MISSING
 * (no block), HOTA_E_SIG_UNTRUSTED (valid blocks, none trusted), else the first block's error
 * (SIG_CRC, SIG_BLOCK, SIG_DIGEST, SIG_INVALID, KEY, UNSUPPORTED, NO_MEMORY). *first_err
 * receives the first error of any block (HOTA_OK when every block verified). */
int hota_image_sig_evaluate(hota_image_verifier_t *v, const uint8_t d256[32],
                            const uint8_t *d384, int *first_err);

/* 1 when a signature block starts at the beginning of sector (4096 bytes). */
int hota_image_sector_has_block(const uint8_t *sector);

#endif
