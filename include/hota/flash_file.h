/**
 * @file flash_file.h
 * @brief A file-backed SPI NOR flash (the emulated ESP32 flash) with power-fail injection.
 *
 * The file holds the whole flash image, byte for byte. It behaves like SPI NOR: erase works on
 * 4 KiB sectors and sets every byte to 0xFF; a write can only clear bits (the stored byte becomes
 * old & data). In strict mode a write that would need to set a bit (data has a 1 where the
 * flash holds a 0) is refused with HOTA_E_FLASH_NOT_ERASED and nothing is written.
 *
 * Power-fail simulation: every valid erase or write issued to one opened device is an operation,
 * numbered from 1. With the fault "cut@N" the N-th operation and every later one never happen:
 * the process prints "hota: power cut at flash operation N (erase|write 0xADDR)" to stderr and
 * exits with status HOTA_POWER_CUT_EXIT right there (earlier operations are on disk: the file is
 * synced first). With "torn@N" the N-th operation happens only partly (a write lands a prefix of
 * its bytes, an erase leaves a mix of erased and old bytes; both chosen reproducibly from N) and
 * then the process exits with HOTA_POWER_CUT_EXIT too. The fault comes from the environment
 * variable HOTA_FLASH_FAULT when the device is opened, or from hota_flash_file_set_fault().
 *
 * I/O: the file is mapped shared, so reads, erases and writes are memory copies into the page
 * cache the file uses (no system call per operation); the pages reach the file as the kernel
 * writes them back, which a killed process does not stop. With the environment variable
 * HOTA_FLASH_IO=pwrite (read when the device is opened) every erase and write is a pwrite of
 * its own instead (what bench/hook.c counts); without a mapping everything uses pread/pwrite.
 *
 * Lifetime: hota_flash_file_t is caller-allocated and must outlive the hota_flash_t filled by
 * hota_flash_file_open() (its ctx points at it). Not thread-safe.
 */
#ifndef HOTA_FLASH_FILE_H
#define HOTA_FLASH_FILE_H

#include <stdint.h>

#include "hota/flash.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Exit status of a process whose flash lost power (cut@N / torn@N). */
#define HOTA_POWER_CUT_EXIT 99
/** Smallest flash file accepted (1 MiB). */
#define HOTA_FLASH_FILE_MIN_SIZE (1024u * 1024u)
/** Largest flash file accepted (128 MiB, the largest ESP32 flash size gen_esp32part knows). */
#define HOTA_FLASH_FILE_MAX_SIZE (128u * 1024u * 1024u)

/** Kinds of injected power failure. */
typedef enum hota_flash_fault {
    HOTA_FLASH_FAULT_NONE = 0, /**< no fault */
    HOTA_FLASH_FAULT_CUT = 1,  /**< the N-th operation and all later ones never happen */
    HOTA_FLASH_FAULT_TORN = 2  /**< the N-th operation happens partly, then power is lost */
} hota_flash_fault_t;

/** State of one file-backed flash. Caller-allocated; fields are read-only for callers. */
typedef struct hota_flash_file {
    int fd;              /**< backing file, -1 when closed */
    uint8_t *map;        /**< shared mapping of the file (NULL: pread/pwrite) */
    int map_writes;      /**< 1: writes go into the mapping too (else pwrite) */
    uint32_t size;       /**< flash size in bytes */
    int strict;          /**< 1: refuse writes over non-erased bits */
    int fault;           /**< hota_flash_fault_t */
    uint64_t fault_at;   /**< the operation number the fault hits (from 1) */
    int fault_exit;      /**< 1: exit the process at the fault; 0: return HOTA_E_POWER_CUT */
    int dead;            /**< power is lost (fault_exit 0 only): every later erase/write fails */
    uint64_t ops;        /**< valid erases + writes issued so far */
    uint64_t writes;     /**< valid writes so far */
    uint64_t erases;     /**< valid sector erases so far */
} hota_flash_file_t;

/** @brief Prepare ff for use (closed, no fault). Cannot fail. */
void hota_flash_file_init(hota_flash_file_t *ff);

/**
 * @brief Open a flash file, or create one filled with 0xFF.
 * @param ff     initialised state (hota_flash_file_init)
 * @param path   the backing file
 * @param create 1: create (or replace) the file with size bytes of 0xFF; 0: open an existing one
 * @param size   with create: the flash size; without: 0 accepts the file's size, any other value
 *               must equal it. A size must be a multiple of 4096 within
 *               [HOTA_FLASH_FILE_MIN_SIZE, HOTA_FLASH_FILE_MAX_SIZE].
 * @param strict 1: writes over non-erased bits fail with HOTA_E_FLASH_NOT_ERASED
 * @param dev    filled with the method table and ctx = ff
 * @return HOTA_OK; HOTA_E_INVALID_ARG (NULL argument, or HOTA_FLASH_FAULT is malformed);
 *         HOTA_E_FILE_OPEN (cannot open or create); HOTA_E_FLASH_SIZE (bad size);
 *         HOTA_E_FLASH_IO (cannot fill or stat the file).
 */
int hota_flash_file_open(hota_flash_file_t *ff, const char *path, int create, uint32_t size,
                         int strict, hota_flash_t *dev);

/** @brief Close the file (synced). Safe to call twice and on an initialised, unopened ff. */
void hota_flash_file_free(hota_flash_file_t *ff);

/**
 * @brief Parse a fault specification "cut@N" or "torn@N" (N a decimal number >= 1).
 * @param spec  the text; NULL or "" means no fault
 * @param kind  receives a hota_flash_fault_t
 * @param at    receives N (0 when there is no fault)
 * @return HOTA_OK, or HOTA_E_INVALID_ARG when spec is malformed.
 */
int hota_flash_fault_parse(const char *spec, int *kind, uint64_t *at);

/**
 * @brief Set (or clear, with HOTA_FLASH_FAULT_NONE) the fault of an opened device.
 *
 * The operation number counts from the device's open, so at must be above ff->ops to hit.
 * @param ff           the device
 * @param kind         a hota_flash_fault_t
 * @param at           the operation number (>= 1) the fault hits
 * @param exit_process 1: exit with HOTA_POWER_CUT_EXIT like the environment fault does;
 *                     0: the faulting operation (after its partial effect for torn) and every
 *                     later erase/write return HOTA_E_POWER_CUT instead (reads keep working)
 * @return HOTA_OK, or HOTA_E_INVALID_ARG (unknown kind, at 0 for a fault, NULL ff).
 */
int hota_flash_file_set_fault(hota_flash_file_t *ff, int kind, uint64_t at, int exit_process);

#ifdef __cplusplus
}
#endif
#endif /* HOTA_FLASH_FILE_H */
