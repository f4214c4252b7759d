/**
 * @file bootsim.h
 * @brief The second-stage bootloader's app choice (ESP-IDF bootloader_utility.c), as a pure
 *        function: otadata entries, table shape, per-slot image verdicts and eFuse in;
 *        slot to boot plus the otadata records and eFuse change to write out.
 *
 * Order of evaluation (rollback enabled):
 *  1. every entry in PENDING_VERIFY becomes ABORTED (written back);
 *  2. both entries unusable (seq erased, INVALID or ABORTED) or no OTA slots: start at factory,
 *     or at ota_0 when there is no factory (if neither entry even has a good CRC, the slot
 *     finally booted gets a fresh VALID entry with seq = slot + 1 in copy 0);
 *     with anti-rollback the "initial" test is on seq/CRC only and the start is factory;
 *  3. otherwise the active entry (valid, higher seq; with anti-rollback also its app's
 *     secure_version >= eFuse) picks slot (seq-1) % n; a NEW active entry becomes
 *     PENDING_VERIFY (written); no active entry: start at factory;
 *  4. from the start slot downwards to factory, then upwards from start+1, the first slot whose
 *     image verifies (and, with anti-rollback, whose secure_version >= eFuse) boots;
 *  5. with anti-rollback, booting the active VALID entry's app raises the eFuse counter.
 */
#ifndef HOTA_BOOTSIM_H
#define HOTA_BOOTSIM_H

#include <stdint.h>

#include "hota/otadata.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HOTA_OTA_MAX_SLOTS 16u
#define HOTA_BOOT_MAX_WRITES 4u

/** What the bootloader learns from one app slot. */
typedef struct hota_boot_app {
    int verifies;            /**< 1: the image verifies under the eFuse policy */
    uint32_t secure_version; /**< from its esp_app_desc_t (meaningful when verifies) */
} hota_boot_app_t;

typedef struct hota_boot_input {
    hota_otadata_entry_t entry[2];
    unsigned n_ota;          /**< number of ota_N slots, 0..16 */
    int has_factory;
    int rollback;            /**< CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE */
    int anti_rollback;       /**< CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK */
    uint32_t efuse_secure_version;
    hota_boot_app_t factory;
    hota_boot_app_t ota[HOTA_OTA_MAX_SLOTS];
} hota_boot_input_t;

/** One otadata record to write: erase copy `copy`, program `entry`. */
typedef struct hota_boot_write {
    unsigned copy;
    hota_otadata_entry_t entry;
} hota_boot_write_t;

typedef struct hota_boot_result {
    int slot;                /**< HOTA_SLOT_FACTORY, 0..15, or HOTA_SLOT_NONE */
    int active;              /**< active otadata copy used (-1: none) */
    unsigned n_writes;
    hota_boot_write_t writes[HOTA_BOOT_MAX_WRITES]; /**< in order */
    int raise_secure_version; /**< 1: write new_secure_version to eFuse */
    uint32_t new_secure_version;
    hota_otadata_entry_t after[2]; /**< otadata once the writes are done */
} hota_boot_result_t;

/**
 * @brief Decide what a reset boots. Pure: no I/O, no allocation.
 * @return HOTA_OK (out->slot set), HOTA_E_NO_BOOTABLE (out->slot = HOTA_SLOT_NONE, the
 *         otadata writes of steps 1-3 are still listed), HOTA_E_INVALID_ARG (n_ota > 16).
 */
int hota_boot_decide(const hota_boot_input_t *in, hota_boot_result_t *out);

#ifdef __cplusplus
}
#endif
#endif
