/**
 * @file efuse.h
 * @brief Emulated eFuse of the simulated ESP32, kept next to the flash file as "<flash>.efuse".
 *
 * Holds the anti-rollback counter (secure_version), up to three Secure Boot V2 public-key
 * digests, the feature flags and the slot the last simulated boot started (the running app).
 * The sidecar is a fixed 160-byte little-endian record (see docs/internals/device.md):
 * magic "HEFU", version 1, size 160, flags, secure_version, chip id, key count, running slot,
 * three 32-byte key digests, CRC-32 (zlib) of the first 156 bytes.
 */
#ifndef HOTA_EFUSE_H
#define HOTA_EFUSE_H

#include <stddef.h>
#include <stdint.h>

#include "hota/image.h"
#include "hota/otadata.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HOTA_EFUSE_FILE_SIZE 160u
#define HOTA_EFUSE_MAX_KEYS 3u
#define HOTA_EFUSE_SUFFIX ".efuse"

#define HOTA_EFUSE_SECURE_BOOT 0x1u   /**< Secure Boot V2 enabled: trusted signature required */
#define HOTA_EFUSE_ANTI_ROLLBACK 0x2u /**< CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK */
#define HOTA_EFUSE_ROLLBACK 0x4u      /**< CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE */

/** Emulated eFuse state. Plain data; copy freely. */
typedef struct hota_efuse {
    uint32_t flags;          /**< HOTA_EFUSE_* bits */
    uint32_t secure_version; /**< anti-rollback counter; only ever raised */
    uint16_t chip_id;        /**< 0 = ESP32 */
    uint8_t key_count;       /**< number of valid key_digest rows, 0..3 */
    int running;             /**< slot the last boot started, or HOTA_SLOT_NONE */
    uint8_t key_digest[HOTA_EFUSE_MAX_KEYS][32];
} hota_efuse_t;

/** @brief Defaults: rollback enabled, no secure boot, no anti-rollback, ESP32, not booted. */
void hota_efuse_init(hota_efuse_t *e);

/** @brief Serialize to the sidecar format. Never fails. */
void hota_efuse_encode(const hota_efuse_t *e, uint8_t out[HOTA_EFUSE_FILE_SIZE]);
/**
 * @brief Parse the sidecar format.
 * @return HOTA_OK, or HOTA_E_EFUSE (length, magic, version, size, CRC, key count or running
 *         slot out of range); *e is untouched on error.
 */
int hota_efuse_decode(const uint8_t *in, size_t len, hota_efuse_t *e);

/**
 * @brief Raise secure_version to v (never lowers it).
 * @return 1 when the value changed, 0 otherwise.
 */
int hota_efuse_raise(hota_efuse_t *e, uint32_t v);

/**
 * @brief Image policy the simulated ROM/bootloader applies: chip id, trusted key digests when
 *        Secure Boot is on, min_secure_version when anti-rollback is on, app desc required.
 *        The policy points into *e: it lives as long as *e.
 */
void hota_efuse_policy(const hota_efuse_t *e, uint32_t max_len, hota_image_policy_t *p);

/**
 * @brief Load "<path>" (the sidecar path itself), through hota_pfile_load().
 * @return HOTA_OK, HOTA_E_NOT_FOUND (no such file, or not a regular file), HOTA_E_FILE_OPEN,
 *         HOTA_E_IO, HOTA_E_EFUSE (bad content or length).
 */
int hota_efuse_load(const char *path, hota_efuse_t *e);
/**
 * @brief Save to "<path>" atomically with hota_pfile_replace() (temporary file, fsync, rename).
 * @return HOTA_OK, HOTA_E_INVALID_ARG (path too long), HOTA_E_FILE_OPEN, HOTA_E_IO.
 */
int hota_efuse_save(const char *path, const hota_efuse_t *e);

#ifdef __cplusplus
}
#endif
#endif
