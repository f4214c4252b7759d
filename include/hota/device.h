/**
 * @file device.h
 * @brief A simulated ESP32: flash file + partition table + eFuse sidecar ("<flash>.efuse")
 *        + the slot the last boot started. Used by the CLI and by the OTA engine.
 *
 * Lifetime: hota_device_t is caller-allocated (it holds the parsed table, a few KiB), filled by
 * hota_device_open() or hota_device_create(), released by hota_device_free(). Pointers to
 * partitions returned by the functions below point into it and live as long as it is open.
 * Nothing is written to the flash or the sidecar by open; writers say so in their docs.
 */
#ifndef HOTA_DEVICE_H
#define HOTA_DEVICE_H

#include <stdint.h>

#include "hota/bootsim.h"
#include "hota/efuse.h"
#include "hota/flash.h"
#include "hota/flash_file.h"
#include "hota/image.h"
#include "hota/otadata.h"
#include "hota/partition.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HOTA_DEVICE_PATH_MAX 4096u

typedef struct hota_device {
    hota_flash_file_t ff;
    hota_flash_t flash;        /**< the flash; flash.ops_count counts erases + writes */
    hota_part_table_t table;   /**< the verified partition table */
    hota_efuse_t efuse;        /**< in-memory eFuse; hota_device_save_efuse() persists it */
    const hota_partition_t *otadata; /**< NULL when the table has none */
    unsigned n_ota;            /**< number of ota_N slots */
    int is_open;
    char efuse_path[HOTA_DEVICE_PATH_MAX + 8];
} hota_device_t;

/** @brief Prepare for open/create. Cannot fail. */
void hota_device_init(hota_device_t *d);

/**
 * @brief Open an existing flash file, read and verify its partition table (against the
 *        file's size) and load the eFuse sidecar (defaults when there is none).
 * @return HOTA_OK; HOTA_E_FILE_OPEN; HOTA_E_FLASH_SIZE (file size invalid, or a partition ends
 *         past the end of the flash); HOTA_E_PART_* (table invalid); HOTA_E_EFUSE (sidecar
 *         invalid); HOTA_E_INVALID_ARG (path too long, bad HOTA_FLASH_FAULT); flash read errors.
 */
int hota_device_open(hota_device_t *d, const char *path);

/**
 * @brief Create a flash file of `size` bytes filled with 0xFF, write table t at 0x8000 and the
 *        sidecar with eFuse *e (running slot reset to none).
 * @return HOTA_OK; HOTA_E_INVALID_ARG; HOTA_E_FLASH_SIZE (size invalid or t does not fit);
 *         HOTA_E_PART_*; HOTA_E_FILE_OPEN; HOTA_E_IO; flash errors (HOTA_E_POWER_CUT).
 */
int hota_device_create(hota_device_t *d, const char *path, uint32_t size,
                       const hota_part_table_t *t, const hota_efuse_t *e);

/** @brief Close the flash file. Safe to call twice. Does not save the eFuse. */
void hota_device_free(hota_device_t *d);

/** @brief Persist d->efuse to the sidecar. @return as hota_efuse_save(). */
int hota_device_save_efuse(hota_device_t *d);

/** @return the partition of slot (HOTA_SLOT_FACTORY or 0..15), or NULL when absent. */
const hota_partition_t *hota_device_slot_part(const hota_device_t *d, int slot);
/** @return the slot of an app partition (HOTA_SLOT_FACTORY, 0..15), or HOTA_SLOT_NONE. */
int hota_device_part_slot(const hota_partition_t *p);
/** @return a printable name of a slot: the partition label, "factory" or "none". */
const char *hota_device_slot_name(const hota_device_t *d, int slot);

/**
 * @brief Read both otadata copies.
 * @return HOTA_OK; HOTA_E_NO_OTA_SLOTS (no otadata partition); flash read errors.
 */
int hota_device_read_otadata(hota_device_t *d, hota_otadata_entry_t e[2]);

/**
 * @brief Verify the image in a slot under the eFuse policy (secure boot keys, chip, app desc;
 *        min_secure_version only when check_secver is 1).
 * @return HOTA_OK, HOTA_E_PART_NOT_FOUND, or the code of hota_image_verify_flash().
 */
int hota_device_verify_slot(hota_device_t *d, int slot, int check_secver,
                            hota_image_info_t *info);

/**
 * @brief Gather the bootloader's inputs (otadata, table shape, every app slot's verdict, eFuse).
 * @return HOTA_OK; HOTA_E_OTADATA (both otadata copies are garbage); flash read errors.
 */
int hota_device_boot_input(hota_device_t *d, hota_boot_input_t *in);

/**
 * @brief Simulate a reset: decide, then (apply = 1) write the otadata changes, raise the eFuse
 *        counter, record the running slot and save the sidecar. apply = 0 writes nothing.
 * @return HOTA_OK; HOTA_E_NO_BOOTABLE (otadata changes are still written when applying);
 *         HOTA_E_OTADATA; flash and sidecar errors.
 */
int hota_device_boot(hota_device_t *d, int apply, hota_boot_result_t *res);

#ifdef __cplusplus
}
#endif
#endif
