/**
 * @file slot.h
 * @brief OTA slot operations with ESP-IDF's esp_ota_ops semantics on a hota_device_t:
 *        begin / write / write_with_offset / end, set_boot_partition,
 *        mark_app_valid_cancel_rollback, mark_app_invalid_rollback, check_rollback_is_possible.
 *
 * Streaming: hota_slot_write() allocates nothing; each flash sector of the slot is erased once,
 * just before its first byte is written (or all at begin when the image size is given).
 * Lifetime: a hota_slot_writer_t refers to its device, which must stay open while it is used.
 */
#ifndef HOTA_SLOT_H
#define HOTA_SLOT_H

#include <stddef.h>
#include <stdint.h>

#include "hota/device.h"

#ifdef __cplusplus
extern "C" {
#endif

/** begin(): erase lazily, sector by sector, as data arrives (OTA_WITH_SEQUENTIAL_WRITES). */
#define HOTA_SLOT_SIZE_SEQUENTIAL 0xFFFFFFFEu
/** begin(): size unknown: erase the whole slot at begin (OTA_SIZE_UNKNOWN). */
#define HOTA_SLOT_SIZE_UNKNOWN 0xFFFFFFFFu
/** Largest slot handled: 16 MiB (the erase map is fixed-size). */
#define HOTA_SLOT_MAX_SIZE (16u * 1024u * 1024u)

typedef struct hota_slot_writer {
    hota_device_t *dev;
    const hota_partition_t *part;
    int slot;
    int begun;
    uint32_t written_end;  /**< highest offset written + 1 */
    uint32_t erased[HOTA_SLOT_MAX_SIZE / HOTA_FLASH_SECTOR_SIZE / 32u]; /**< sector bitmap */
} hota_slot_writer_t;

/**
 * @brief The slot an update goes to (esp_ota_get_next_update_partition(NULL)): the OTA slot
 *        after the running one, else ota_0.
 * @return HOTA_OK (*slot set); HOTA_E_NO_OTA_SLOTS.
 */
int hota_slot_next_update(const hota_device_t *d, int *slot);

/**
 * @brief Start writing an update into `slot` (HOTA_SLOT_NONE: the next update slot).
 * @param image_size HOTA_SLOT_SIZE_SEQUENTIAL, HOTA_SLOT_SIZE_UNKNOWN (erase whole slot) or a
 *        byte count (erase that much, rounded up to sectors).
 * @return HOTA_OK; HOTA_E_NO_OTA_SLOTS; HOTA_E_OTADATA (otadata is garbage);
 *         HOTA_E_PART_NOT_FOUND (no such slot, or factory); HOTA_E_RUNNING_SLOT;
 *         HOTA_E_PENDING_VERIFY (running app not yet confirmed, rollback enabled);
 *         HOTA_E_IMAGE_TOO_LARGE (image_size or slot over the limits); flash errors.
 */
int hota_slot_begin(hota_slot_writer_t *w, hota_device_t *d, int slot, uint32_t image_size);

/**
 * @brief Continue an interrupted write: bytes [0, n_written) of the slot are already on flash
 *        (put there by an earlier writer, before a power loss or a lost connection). Their
 *        sectors are never erased again and hota_slot_write() continues at n_written.
 *        Call it right after hota_slot_begin() with HOTA_SLOT_SIZE_SEQUENTIAL (any other size
 *        erases the slot at begin, these bytes included), before anything is written.
 * @param w         a begun writer.
 * @param n_written bytes kept, a multiple of HOTA_FLASH_SECTOR_SIZE; 0 keeps nothing.
 * @return HOTA_OK; HOTA_E_OTA_NOT_BEGUN; HOTA_E_BAD_STATE (the writer already wrote);
 *         HOTA_E_INVALID_ARG (n_written not a multiple of the sector size);
 *         HOTA_E_IMAGE_TOO_LARGE (n_written beyond the slot).
 */
int hota_slot_resume(hota_slot_writer_t *w, uint32_t n_written);

/**
 * @brief Append len bytes. The first byte written at offset 0 must be 0xE9.
 * @return HOTA_OK; HOTA_E_OTA_NOT_BEGUN; HOTA_E_IMAGE_MAGIC; HOTA_E_IMAGE_TOO_LARGE; flash
 *         errors (HOTA_E_FLASH_NOT_ERASED if a region is written twice).
 */
int hota_slot_write(hota_slot_writer_t *w, const void *buf, size_t len);

/** @brief Write at an offset inside the slot. @return as hota_slot_write(). */
int hota_slot_write_with_offset(hota_slot_writer_t *w, uint32_t offset, const void *buf,
                                size_t len);

/**
 * @brief Finish: verify what is on flash under the eFuse policy (with the anti-rollback
 *        minimum when enabled). The writer is closed in every case.
 * @return HOTA_OK; HOTA_E_OTA_NOT_BEGUN; the codes of hota_image_verify_flash().
 */
int hota_slot_end(hota_slot_writer_t *w, hota_image_info_t *info);

/** @brief Drop a writer without verifying. Safe to call twice. */
void hota_slot_abort(hota_slot_writer_t *w);

/**
 * @brief esp_ota_set_boot_partition: verify the slot's image, then write the new otadata entry
 *        (NEW with rollback, else UNDEFINED) into the inactive copy with (seq-1) % n == slot.
 *        HOTA_SLOT_FACTORY erases the otadata partition.
 * @return HOTA_OK; HOTA_E_NO_OTA_SLOTS; HOTA_E_PART_NOT_FOUND; HOTA_E_OTADATA; image codes;
 *         flash errors.
 */
int hota_slot_set_boot(hota_device_t *d, int slot);

/**
 * @brief esp_ota_set_boot_partition at the end of an update whose image was verified while it
 *        streamed (hota_image_verifier_finish() returned HOTA_OK under the slot's eFuse policy):
 *        instead of verifying the image a second time, read the slot's first `len` bytes back
 *        and compare their check value (core/check64.h) with `check`, the value of the bytes
 *        written; then write otadata as hota_slot_set_boot() does. The slot's image is verified
 *        whole again by the boot (hota_device_boot()), as the ROM bootloader does.
 * @param d     an open device.
 * @param slot  an OTA slot (not factory).
 * @param len   bytes written from the slot's start (1 .. slot size).
 * @param check hota_check64 value of those bytes.
 * @param buf   scratch for the read-back, cap bytes (> 0); no allocation happens.
 * @return HOTA_OK; HOTA_E_INVALID_ARG (NULL d or buf, cap 0, len 0 or over the slot);
 *         HOTA_E_NO_OTA_SLOTS; HOTA_E_PART_NOT_FOUND (no such slot, or factory);
 *         HOTA_E_FLASH_READBACK (the slot does not hold the bytes written: otadata untouched);
 *         HOTA_E_OTADATA; flash errors.
 */
int hota_slot_set_boot_written(hota_device_t *d, int slot, uint32_t len, uint64_t check,
                               uint8_t *buf, size_t cap);

/**
 * @brief The slot the bootloader would start now (no writes), HOTA_SLOT_NONE when nothing.
 * @return HOTA_OK or the codes of hota_device_boot().
 */
int hota_slot_boot_slot(hota_device_t *d, int *slot);

/**
 * @brief esp_ota_get_state_partition: state of the otadata entry that selects `slot`.
 * @return HOTA_OK; HOTA_E_NOT_FOUND (no such entry, or factory); HOTA_E_NO_OTA_SLOTS;
 *         flash read errors.
 */
int hota_slot_get_state(hota_device_t *d, int slot, uint32_t *state);

/**
 * @brief esp_ota_mark_app_valid_cancel_rollback: the active entry becomes VALID (rewritten in
 *        place) unless it already is; with anti-rollback, the eFuse counter is raised to the
 *        running app's secure_version and the sidecar saved.
 * @return HOTA_OK; HOTA_E_BAD_STATE (running from factory / no active entry);
 *         HOTA_E_NO_OTA_SLOTS; HOTA_E_OTADATA; flash and sidecar errors.
 */
int hota_slot_mark_valid(hota_device_t *d);

/**
 * @brief esp_ota_mark_app_invalid_rollback (without the restart): the active entry becomes
 *        INVALID so the next boot returns to the previous app.
 * @return HOTA_OK; HOTA_E_ROLLBACK_IMPOSSIBLE; HOTA_E_BAD_STATE; HOTA_E_NO_OTA_SLOTS;
 *         HOTA_E_OTADATA; flash errors.
 */
int hota_slot_mark_invalid(hota_device_t *d);

/**
 * @brief esp_ota_check_rollback_is_possible: another entry's slot (or, without anti-rollback,
 *        factory when the other entry is unusable) holds an image that verifies.
 * @return 1 possible, 0 not (also on read errors).
 */
int hota_slot_rollback_possible(hota_device_t *d);

#ifdef __cplusplus
}
#endif
#endif
