/**
 * @file partition.h
 * @brief The ESP-IDF partition table: binary format at flash offset 0x8000, CSV syntax.
 *
 * Binary format (little-endian), a sequence of 32-byte entries:
 *   magic 0x50AA (bytes AA 50), type u8, subtype u8, offset u32, size u32, label 16 bytes
 *   (NUL-padded, not necessarily NUL-terminated), flags u32 (bit 0 encrypted, bit 1 readonly).
 * After the partitions an optional MD5 entry: bytes EB EB, 14 bytes 0xFF, then the MD5 of all
 * preceding entries. The table ends at an entry of 32 bytes 0xFF. The table region is
 * HOTA_PART_TABLE_MAX bytes; gen_esp32part.py pads its output with 0xFF to that length.
 *
 * The CSV syntax and placement rules are those of ESP-IDF's gen_esp32part.py (v5.3): for the
 * same CSV hota_part_from_csv() + hota_part_to_bin() give the same bytes.
 *
 * A hota_part_table_t is plain data (about 3 KiB): no resources, nothing to free.
 */
#ifndef HOTA_PARTITION_H
#define HOTA_PARTITION_H

#include <stddef.h>
#include <stdint.h>

#include "hota/flash.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HOTA_PART_TABLE_OFFSET 0x8000u /**< where the table lives in flash */
#define HOTA_PART_TABLE_MAX 0xC00u     /**< table region: 3072 bytes */
#define HOTA_PART_MAX_ENTRIES 95       /**< partitions a table can hold */
#define HOTA_PART_FIRST_OFFSET 0x9000u /**< first byte after the table's sector */
#define HOTA_PART_ENTRY_SIZE 32u

/* Types and subtypes, as ESP-IDF's esp_partition.h. */
#define HOTA_PART_TYPE_APP 0x00
#define HOTA_PART_TYPE_DATA 0x01
#define HOTA_PART_SUBTYPE_FACTORY 0x00
#define HOTA_PART_SUBTYPE_OTA_0 0x10 /**< ota_n is 0x10 + n, n < 16 */
#define HOTA_PART_SUBTYPE_OTA_MAX 16
#define HOTA_PART_SUBTYPE_TEST 0x20
#define HOTA_PART_SUBTYPE_DATA_OTA 0x00
#define HOTA_PART_SUBTYPE_DATA_PHY 0x01
#define HOTA_PART_SUBTYPE_DATA_NVS 0x02
#define HOTA_PART_SUBTYPE_DATA_COREDUMP 0x03
#define HOTA_PART_SUBTYPE_DATA_NVS_KEYS 0x04
#define HOTA_PART_SUBTYPE_DATA_EFUSE 0x05
#define HOTA_PART_SUBTYPE_DATA_UNDEFINED 0x06
#define HOTA_PART_SUBTYPE_DATA_ESPHTTPD 0x80
#define HOTA_PART_SUBTYPE_DATA_FAT 0x81
#define HOTA_PART_SUBTYPE_DATA_SPIFFS 0x82
#define HOTA_PART_SUBTYPE_DATA_LITTLEFS 0x83

#define HOTA_PART_FLAG_ENCRYPTED 0x1u
#define HOTA_PART_FLAG_READONLY 0x2u

#define HOTA_PART_ALIGN_APP 0x10000u  /**< app partitions start on 64 KiB */
#define HOTA_PART_ALIGN_DATA 0x1000u  /**< everything else on 4 KiB */
#define HOTA_PART_OTADATA_SIZE 0x2000u
#define HOTA_PART_NVS_RW_MIN 0x3000u  /**< smallest read-write nvs partition */

/** One partition. label is NUL-terminated (16 characters at most). */
typedef struct hota_partition {
    uint8_t type;
    uint8_t subtype;
    uint32_t offset;
    uint32_t size;
    char label[17];
    uint32_t flags;
} hota_partition_t;

/** A partition table, in table order. */
typedef struct hota_part_table {
    hota_partition_t part[HOTA_PART_MAX_ENTRIES];
    unsigned count;
    int has_md5; /**< parsed: the table carried a (valid) MD5 entry */
} hota_part_table_t;

/** ESP-IDF's stock two-OTA CSV (partitions_two_ota.csv), hota's default layout on 4 MB. */
extern const char hota_part_csv_two_ota[];

/**
 * @brief Parse and verify a binary table.
 *
 * bin is either the whole table region (HOTA_PART_TABLE_MAX bytes, as read from flash or
 * written by gen_esp32part.py) or a shorter file of whole entries, whose missing rest counts as
 * erased flash (0xFF), i.e. as the end marker. Checks: every entry's magic, the MD5 entry when
 * present, the end marker after the MD5 entry, offsets aligned (app 64 KiB, others 4 KiB), app
 * sizes 4 KiB multiples, nothing below 0x9000, no overlap, unique labels, at least one partition.
 * @param bin  the bytes
 * @param len  their number
 * @param t    receives the table (count 0 on error)
 * @return HOTA_OK; HOTA_E_INVALID_ARG (NULL); HOTA_E_PART_MAGIC (an entry is neither a
 *         partition, the MD5 entry nor the end marker); HOTA_E_PART_MD5 (MD5 mismatch);
 *         HOTA_E_PART_ALIGN; HOTA_E_PART_OVERLAP (overlap, or below 0x9000);
 *         HOTA_E_PART_TABLE (empty, not terminated, len not a multiple of 32, too many
 *         entries, duplicate labels, more than one otadata or one not 0x2000 bytes, readonly
 *         flag on otadata or coredump, read-write nvs smaller than 0x3000).
 */
int hota_part_parse(const uint8_t *bin, size_t len, hota_part_table_t *t);

/**
 * @brief Check a table against the rules hota_part_parse() applies, plus the flash size.
 * @param t          the table
 * @param flash_size 0: no size check; otherwise every partition must end within it
 * @return HOTA_OK or the codes of hota_part_parse(); HOTA_E_FLASH_RANGE for a partition past
 *         the end of the flash.
 */
int hota_part_verify(const hota_part_table_t *t, uint32_t flash_size);

/**
 * @brief Build a table from ESP-IDF CSV text, exactly as gen_esp32part.py does.
 *
 * Lines: blank and '#' lines are skipped; fields name, type, subtype, offset, size, flags
 * (missing trailing fields are empty, surrounding blanks ignored). Numbers as Python int(x, 0)
 * with an optional K/M suffix; type/subtype names; empty offset = placed after the previous
 * partition at its type's alignment (the first at 0x9000); a negative size means "up to that
 * address"; flags "encrypted" and "readonly" separated by ':'. The result is verified as by
 * hota_part_verify(), including otadata being exactly 0x2000 bytes.
 * @param csv        the text (need not be NUL-terminated)
 * @param len        its length
 * @param flash_size 0: no size check; otherwise the partitions must fit (gen_esp32part's
 *                   --flash-size)
 * @param t          receives the table
 * Labels longer than 16 bytes are cut to 16 (as gen_esp32part.py's struct packing does).
 * Environment variables ($NAME) are not expanded; a line starting with one is an error.
 * @return HOTA_OK; HOTA_E_INVALID_ARG (NULL); HOTA_E_PART_CSV (syntax, unknown name or flag,
 *         empty type or size, empty subtype of an app, value out of range);
 *         HOTA_E_PART_OVERLAP (an explicit offset before the previous partition's end, or
 *         overlapping partitions); HOTA_E_PART_TABLE (no partitions, too many, duplicate labels,
 *         otadata not 0x2000 or twice, read-write nvs under 0x3000, readonly otadata/coredump);
 *         HOTA_E_FLASH_RANGE (does not fit flash_size); HOTA_E_PART_ALIGN.
 */
int hota_part_from_csv(const char *csv, size_t len, uint32_t flash_size, hota_part_table_t *t);

/**
 * @brief Write a table's binary form: entries, MD5 entry, 0xFF padding to HOTA_PART_TABLE_MAX.
 * @param t   the table (not verified here; see hota_part_verify())
 * @param out receives HOTA_PART_TABLE_MAX bytes
 * @return HOTA_OK; HOTA_E_INVALID_ARG (NULL); HOTA_E_PART_TABLE (entries plus MD5 entry would
 *         not leave room for the end marker: more than 94 partitions).
 */
int hota_part_to_bin(const hota_part_table_t *t, uint8_t out[HOTA_PART_TABLE_MAX]);

/**
 * @brief Write a table as CSV text the way gen_esp32part.py prints a binary table.
 * @param t   the table
 * @param out buffer
 * @param cap its size
 * @return HOTA_OK; HOTA_E_INVALID_ARG (NULL); HOTA_E_BUFFER_TOO_SMALL.
 */
int hota_part_to_csv(const hota_part_table_t *t, char *out, size_t cap);

/** @brief The partition with this label, or NULL. */
const hota_partition_t *hota_part_find_label(const hota_part_table_t *t, const char *label);
/** @brief The first partition of this type and subtype in table order, or NULL. */
const hota_partition_t *hota_part_find(const hota_part_table_t *t, uint8_t type, uint8_t subtype);
/** @brief The number of app ota_N slots. */
unsigned hota_part_ota_count(const hota_part_table_t *t);
/**
 * @brief The app partition of subtype ota_n (0x10 + n), as the bootloader indexes its slots.
 * @return the slot, or NULL when the table has no ota_n (or n >= 16).
 */
const hota_partition_t *hota_part_ota_slot(const hota_part_table_t *t, unsigned n);
/** @brief The short name of a type ("app", "data") or NULL for others. */
const char *hota_part_type_name(uint8_t type);
/** @brief The short name of a subtype of type ("ota_0", "nvs"...) or NULL for unnamed ones. */
const char *hota_part_subtype_name(uint8_t type, uint8_t subtype);

/**
 * @brief Read and verify the table at HOTA_PART_TABLE_OFFSET, including the flash size check.
 * @return HOTA_OK, the codes of hota_flash_read() and of hota_part_verify().
 */
int hota_part_read(hota_flash_t *f, hota_part_table_t *t);

/**
 * @brief Erase the table's sector and write t's binary form there.
 * @return HOTA_OK, the codes of hota_part_verify(), hota_part_to_bin(), hota_flash_erase()
 *         and hota_flash_write().
 */
int hota_part_write(hota_flash_t *f, const hota_part_table_t *t);

#ifdef __cplusplus
}
#endif
#endif /* HOTA_PARTITION_H */
