/**
 * @file sbv2.h
 * @brief Secure Boot V2 signature blocks: parse, verify, key digests, signing.
 *
 * An ESP app image signed for Secure Boot V2 is padded with 0xFF to a 4096-byte boundary
 * (signed_len) and followed by one 4096-byte signature sector. The sector holds up to three
 * 1216-byte signature blocks, back to back from its start, then 0xFF up to 4096 bytes.
 *
 * Block layout (all multi-byte numbers little-endian, as the ESP ROM reads them):
 *
 * | offset | size | RSA-3072 (version 0x02)       | ECDSA P-256 (version 0x03)            |
 * |--------|------|-------------------------------|---------------------------------------|
 * | 0      | 1    | magic 0xE7                    | magic 0xE7                            |
 * | 1      | 1    | version 0x02                  | version 0x03                          |
 * | 2      | 2    | zero                          | digest type 0 (SHA-256), zero         |
 * | 4      | 32   | SHA-256 of image[0..signed_len)| same                                 |
 * | 36     | 384  | modulus n                     | curve id 2, x (32), y (32) = 65 bytes |
 * | 420    | 4    | public exponent e             | signature r (32), s (32) at 101       |
 * | 424    | 384  | rinv = 2^6144 mod n           | zero to offset 1196                   |
 * | 808    | 4    | mdash = -n^-1 mod 2^32        |                                       |
 * | 812    | 384  | RSA-PSS signature             |                                       |
 * | 1196   | 4    | CRC-32 (zlib) of bytes 0..1195| same                                  |
 * | 1200   | 16   | zero                          | same                                  |
 *
 * ECDSA P-384 blocks (version 0x03, digest type 1) carry a 48-byte SHA-384 image digest at 4,
 * then curve id 3, x, y (48 each) at 52 and r, s (48 each) at 149.
 *
 * The public-key digest (what the eFuse key slots hold, what `espsecure digest_sbv2_public_key`
 * writes) is the SHA-256 of the key material exactly as stored in the block: bytes 36..811 for
 * RSA (n, e, rinv, mdash), 36..100 for P-256 (curve id, x, y), 52..148 for P-384.
 *
 * RSA signatures are RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt, computed over the
 * 32-byte image digest. ECDSA signatures are over the image digest as the message hash.
 */
#ifndef HOTA_SBV2_H
#define HOTA_SBV2_H

#include <stddef.h>
#include <stdint.h>

#include "hota/crc32.h"

#include "hota/image.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HOTA_SBV2_BLOCK_SIZE 1216   /**< one signature block */
#define HOTA_SBV2_SECTOR_SIZE 4096  /**< the signature sector after the padded image */
#define HOTA_SBV2_CRC_LEN 1196      /**< bytes covered by the block CRC */
#define HOTA_SBV2_MAGIC 0xE7        /**< first byte of every block */
#define HOTA_SBV2_VERSION_RSA 0x02  /**< RSA-3072 PSS block */
#define HOTA_SBV2_VERSION_ECDSA 0x03 /**< ECDSA block */
#define HOTA_SBV2_KEY_MAX 776       /**< largest key material (RSA: 384 + 4 + 384 + 4) */
#define HOTA_SBV2_SIG_MAX 384       /**< largest signature (RSA-3072) */

/**
 * @brief One parsed signature block. Plain data, no resources: copy it freely.
 *
 * key[] holds the key material bytes exactly as stored in the block (see the layout above) and
 * key_digest is their SHA-256. sig[] holds the signature bytes as stored (little-endian).
 */
typedef struct hota_sbv2_block {
    hota_sig_scheme_t scheme;     /**< RSA3072, ECDSA256 or ECDSA384 */
    uint8_t image_digest[32];     /**< SHA-256 image digest (RSA, P-256); zero for P-384 */
    uint8_t image_digest384[48];  /**< SHA-384 image digest (P-384 only); zero otherwise */
    uint8_t key_digest[32];       /**< SHA-256 of the key material, as espsecure prints it */
    uint8_t key[HOTA_SBV2_KEY_MAX]; /**< key material as stored in the block */
    uint16_t key_len;             /**< 776 (RSA), 65 (P-256) or 97 (P-384) */
    uint8_t sig[HOTA_SBV2_SIG_MAX]; /**< signature as stored in the block */
    uint16_t sig_len;             /**< 384 (RSA), 64 (P-256) or 96 (P-384) */
} hota_sbv2_block_t;

/**
 * @brief The stable lower-case name of a scheme, as espsecure spells it.
 * @return "rsa3072", "ecdsa256", "ecdsa384" or "none" (also for unknown values); never NULL.
 */
const char *hota_sig_scheme_name(hota_sig_scheme_t scheme);


/**
 * @brief Parse block i of a signature sector.
 * @param sector the 4096-byte signature sector (only the bytes of block i are read).
 * @param i block index, 0..HOTA_SBV2_MAX_BLOCKS-1.
 * @param out filled on HOTA_OK; unspecified otherwise.
 * @return HOTA_OK;
 *         HOTA_E_NOT_FOUND when the block has no magic byte (no more blocks);
 *         HOTA_E_SIG_BLOCK for an unknown version, digest type or curve (P-192 included);
 *         HOTA_E_SIG_CRC when the CRC over the first 1196 bytes does not match;
 *         HOTA_E_INVALID_ARG for NULL pointers or i out of range.
 */
int hota_sbv2_parse_block(const uint8_t *sector, unsigned i, hota_sbv2_block_t *out);

/**
 * @brief Verify a parsed block against the SHA-256 of image[0..signed_len).
 *
 * Checks that the block's digest equals image_digest, that the key is well formed (RSA: a
 * 3072-bit modulus whose stored rinv and mdash match it; ECDSA: a point on the curve) and that
 * the signature verifies. Allocates only inside mbedTLS; no state is kept.
 * @return HOTA_OK;
 *         HOTA_E_SIG_DIGEST when the block's image digest differs from image_digest;
 *         HOTA_E_KEY for a malformed key;
 *         HOTA_E_SIG_INVALID when the signature does not verify;
 *         HOTA_E_UNSUPPORTED for a P-384 block (use hota_sbv2_verify_block_digest with SHA-384);
 *         HOTA_E_NO_MEMORY when mbedTLS runs out of memory;
 *         HOTA_E_INVALID_ARG for NULL pointers.
 */
int hota_sbv2_verify_block(const hota_sbv2_block_t *b, const uint8_t image_digest[32]);

/**
 * @brief Like hota_sbv2_verify_block, for any scheme: digest is the SHA-256 (32 bytes) of the
 *        image for RSA and P-256 blocks, its SHA-384 (48 bytes) for P-384 blocks.
 * @return as hota_sbv2_verify_block; HOTA_E_SIG_DIGEST also when digest_len does not fit the
 *         block's scheme.
 */
int hota_sbv2_verify_block_digest(const hota_sbv2_block_t *b, const uint8_t *digest,
                                  size_t digest_len);

/**
 * @brief Public-key digest of a PEM key file, as `espsecure digest_sbv2_public_key` writes it.
 * @param pem_path a PEM public key ("BEGIN PUBLIC KEY") or private key (RSA, EC or PKCS#8).
 * @param out the 32-byte digest.
 * @param scheme set to the key's scheme (may be NULL).
 * @return HOTA_OK; HOTA_E_FILE_OPEN when the file cannot be read; HOTA_E_KEY when it is not a
 *         PEM RSA-3072, P-256 or P-384 key; HOTA_E_NO_MEMORY; HOTA_E_INVALID_ARG.
 */
int hota_sbv2_key_digest_file(const char *pem_path, uint8_t out[32], hota_sig_scheme_t *scheme);

/**
 * @brief Build a signature sector for an image whose padded SHA-256 is image_digest.
 *
 * One block per key in the given order, then 0xFF to 4096 bytes. Randomness comes from an
 * mbedTLS CTR-DRBG seeded by hota_entropy().
 * @param image_digest SHA-256 of the image padded with 0xFF to a multiple of 4096 bytes.
 * @param priv_pem_paths n paths to PEM private keys (RSA-3072 or ECDSA P-256).
 * @param n 1..HOTA_SBV2_MAX_BLOCKS.
 * @param sector the 4096-byte output.
 * @return HOTA_OK; HOTA_E_INVALID_ARG (NULL, n out of range); HOTA_E_FILE_OPEN; HOTA_E_KEY
 *         (not an RSA-3072 or P-256 private key); HOTA_E_UNSUPPORTED (P-384 key: it signs a
 *         SHA-384 digest, use hota_sbv2_sign_image); HOTA_E_IO (no entropy); HOTA_E_SIGN
 *         (mbedTLS signing failed); HOTA_E_NO_MEMORY.
 */
int hota_sbv2_sign(const uint8_t image_digest[32], const char *const *priv_pem_paths, unsigned n,
                   uint8_t sector[HOTA_SBV2_SECTOR_SIZE]);

/**
 * @brief Build a signature sector for image bytes: hashes image[0..len) padded with 0xFF to a
 *        multiple of 4096 bytes (len itself may be unaligned) and signs with every key,
 *        RSA-3072, P-256 and P-384 alike.
 * @return as hota_sbv2_sign, without HOTA_E_UNSUPPORTED.
 */
int hota_sbv2_sign_image(const uint8_t *image, size_t len, const char *const *priv_pem_paths,
                         unsigned n, uint8_t sector[HOTA_SBV2_SECTOR_SIZE]);

#ifdef __cplusplus
}
#endif
#endif /* HOTA_SBV2_H */
