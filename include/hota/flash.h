/**
 * @file flash.h
 * @brief The flash port: a tiny, versioned method table (read / write / erase sector / size /
 *        sector size), in the manner of MCUboot's flash port and SQLite's I/O methods.
 *
 * A device is a caller-allocated hota_flash_t whose `ops` points at a method table and whose
 * `ctx` is the implementation's state. Addresses are absolute flash offsets. The NOR rules are
 * the implementation's to enforce: erased bytes read 0xFF, a write can only clear bits, an erase
 * works on whole sectors. Every erase and write counts as one operation (`ops_count`), the unit
 * of the power-fail simulation (HOTA_FLASH_FAULT=cut@N / torn@N, see flash_file.h).
 */
#ifndef HOTA_FLASH_H
#define HOTA_FLASH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HOTA_FLASH_OPS_VERSION 1
#define HOTA_FLASH_SECTOR_SIZE 4096u

typedef struct hota_flash_ops {
    int version; /**< HOTA_FLASH_OPS_VERSION */
    /** Read len bytes at addr. @return HOTA_OK, HOTA_E_FLASH_RANGE, HOTA_E_FLASH_IO. */
    int (*read)(void *ctx, uint32_t addr, void *buf, size_t len);
    /** Program len bytes at addr (bits 1->0 only). @return HOTA_OK, HOTA_E_FLASH_RANGE,
     *  HOTA_E_FLASH_NOT_ERASED (strict mode), HOTA_E_FLASH_IO, HOTA_E_POWER_CUT. */
    int (*write)(void *ctx, uint32_t addr, const void *buf, size_t len);
    /** Erase the sector starting at addr (sector-aligned). @return HOTA_OK, HOTA_E_FLASH_RANGE,
     *  HOTA_E_FLASH_ALIGN, HOTA_E_FLASH_IO, HOTA_E_POWER_CUT. */
    int (*erase_sector)(void *ctx, uint32_t addr);
    /** Total size in bytes. */
    uint32_t (*size)(void *ctx);
    /** Erase sector size in bytes (4096 for ESP32 SPI NOR). */
    uint32_t (*sector_size)(void *ctx);
} hota_flash_ops_t;

/** A flash device: method table plus the implementation's state. Caller-allocated. */
typedef struct hota_flash {
    const hota_flash_ops_t *ops;
    void *ctx;
    uint64_t ops_count; /**< erases + writes issued through hota_flash_write/erase */
} hota_flash_t;

/** @brief Read through the device. @return as hota_flash_ops_t.read. */
int hota_flash_read(hota_flash_t *f, uint32_t addr, void *buf, size_t len);
/** @brief Write through the device, counting one operation. @return as ops.write. */
int hota_flash_write(hota_flash_t *f, uint32_t addr, const void *buf, size_t len);
/** @brief Erase [addr, addr+len), both sector-aligned, one operation per sector. */
int hota_flash_erase(hota_flash_t *f, uint32_t addr, uint32_t len);
/** @brief Size of the device in bytes. */
uint32_t hota_flash_size(const hota_flash_t *f);

#ifdef __cplusplus
}
#endif
#endif
