/* Internal pieces shared by verifier.c (the state machine), verifier_sig.c (signature sector)
 * and verify_whole.c (bytes at rest). */
#ifndef HOTA_IMAGE_VERIFIER_PRIV_H
#define HOTA_IMAGE_VERIFIER_PRIV_H

#include "hota/image.h"

/* Parse and verify signature block i (its HOTA_IMAGE_SIG_BLOCK_SIZE bytes at block) against
 * the image digests (SHA-256 and SHA-384 of [0, signed_len); d384 NULL when the SHA-384 pass
 * did not run: a P-384 block is then HOTA_E_UNSUPPORTED) and record it in v->info.sigs[i]
 * (zeroed when there is no block). Returns HOTA_OK (a block, whatever its own result) or
 * HOTA_E_NOT_FOUND (no block there: the caller looks at no later block of the sector). */
int hota_image_sig_block(hota_image_verifier_t *v, unsigned i, const uint8_t *block,
                         const uint8_t d256[32], const uint8_t *d384);

/* The verdict on the first v->info.sig_count blocks of v->info.sigs, as if a trusted
 * signature were required: HOTA_OK (a block is valid and trusted), HOTA_E_SIG_MISSING (no block),
 * HOTA_E_SIG_UNTRUSTED (valid blocks, none trusted), else the first block's error (SIG_CRC,
 * SIG_BLOCK, SIG_DIGEST, SIG_INVALID, KEY, UNSUPPORTED, NO_MEMORY). *first_err receives the
 * first error of any block (HOTA_OK when every block verified). */
int hota_image_sig_verdict(const hota_image_verifier_t *v, int *first_err);

/* 1 when a signature block starts at the beginning of sector (4096 bytes). */
int hota_image_sector_has_block(const uint8_t *sector);

#endif
