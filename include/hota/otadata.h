/**
 * @file otadata.h
 * @brief The otadata partition of ESP-IDF's app_update: two 32-byte esp_ota_select_entry_t
 *        records, one at the start of each of the partition's first two 4 KiB sectors.
 *
 * Layout of one entry (little-endian): ota_seq u32 @0, seq_label[20] @4, ota_state u32 @24,
 * crc u32 @28, where crc = crc32_le(UINT32_MAX, &ota_seq, 4) as the ROM computes it.
 * An entry is "valid" (bootloader_common_ota_select_valid) when ota_seq != 0xFFFFFFFF, its
 * state is neither INVALID nor ABORTED and its CRC matches. The active entry is the valid one
 * with the higher ota_seq (entry 0 on a tie); it selects OTA slot (ota_seq - 1) % slot count.
 */
#ifndef HOTA_OTADATA_H
#define HOTA_OTADATA_H

#include <stddef.h>
#include <stdint.h>

#include "hota/crc32.h"

#include "hota/flash.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HOTA_OTADATA_ENTRY_SIZE 32u
#define HOTA_OTADATA_SECTOR 4096u

/** Slot numbers used across the device API: 0..15 are ota_0..ota_15. */
#define HOTA_SLOT_FACTORY (-1)
#define HOTA_SLOT_NONE (-2)

/** esp_ota_img_states_t */
enum {
    HOTA_OTA_STATE_NEW = 0,
    HOTA_OTA_STATE_PENDING_VERIFY = 1,
    HOTA_OTA_STATE_VALID = 2,
    HOTA_OTA_STATE_INVALID = 3,
    HOTA_OTA_STATE_ABORTED = 4,
    HOTA_OTA_STATE_UNDEFINED = 0xFFFFFFFF,
};

/** One decoded esp_ota_select_entry_t. */
typedef struct hota_otadata_entry {
    uint32_t seq;
    uint8_t label[20];
    uint32_t state;
    uint32_t crc;
} hota_otadata_entry_t;

/** @brief The otadata CRC of a sequence number: crc32_le(UINT32_MAX, le32(seq), 4). */
uint32_t hota_otadata_crc(uint32_t seq);

/** @brief Fill an entry as ESP-IDF writes it: label 0xFF, given seq and state, matching CRC. */
void hota_otadata_make(hota_otadata_entry_t *e, uint32_t seq, uint32_t state);

/** @brief Decode 32 bytes into an entry. Never fails. */
void hota_otadata_decode(const uint8_t in[HOTA_OTADATA_ENTRY_SIZE], hota_otadata_entry_t *e);
/** @brief Encode an entry into 32 bytes. Never fails. */
void hota_otadata_encode(const hota_otadata_entry_t *e, uint8_t out[HOTA_OTADATA_ENTRY_SIZE]);

/** @return 1 when seq != 0xFFFFFFFF and the CRC matches, else 0 (state not considered). */
int hota_otadata_crc_ok(const hota_otadata_entry_t *e);
/** @return 1 when ESP-IDF's bootloader_common_ota_select_valid() holds, else 0. */
int hota_otadata_valid(const hota_otadata_entry_t *e);
/** @return 1 when every byte of the entry is 0xFF (an erased sector), else 0. */
int hota_otadata_blank(const hota_otadata_entry_t *e);
/** @return the active entry index (0 or 1) among valid[], higher seq wins, 0 on a tie; -1 if
 *  neither is marked valid. */
int hota_otadata_select(const hota_otadata_entry_t e[2], const int valid[2]);
/** @return the active entry index of e (bootloader_common_get_active_otadata), or -1. */
int hota_otadata_active(const hota_otadata_entry_t e[2]);
/** @return 1 when at least one copy is blank or has a correct CRC (anything a power cut can
 *  leave behind), 0 when both copies are garbage. */
int hota_otadata_sane(const hota_otadata_entry_t e[2]);
/** @return the OTA slot an entry selects, (seq - 1) % n_slots; -1 when n_slots is 0. */
int hota_otadata_slot(const hota_otadata_entry_t *e, unsigned n_slots);
/** @return "NEW", "PENDING_VERIFY", "VALID", "INVALID", "ABORTED", "UNDEFINED" or "UNKNOWN". */
const char *hota_otadata_state_name(uint32_t state);

/**
 * @brief Read both entries of the otadata partition at addr.
 * @return HOTA_OK, or the flash read error (HOTA_E_FLASH_RANGE, HOTA_E_FLASH_IO).
 */
int hota_otadata_read(hota_flash_t *f, uint32_t addr, hota_otadata_entry_t e[2]);
/**
 * @brief Write entry e into copy idx (0 or 1): erase that sector, then program 32 bytes
 *        (two flash operations), as ESP-IDF's rewrite_ota_seq / write_otadata.
 * @return HOTA_OK, HOTA_E_INVALID_ARG (idx > 1), or the flash erase/write error.
 */
int hota_otadata_write(hota_flash_t *f, uint32_t addr, unsigned idx,
                       const hota_otadata_entry_t *e);

#ifdef __cplusplus
}
#endif
#endif
