/**
 * @file crc32.h
 * @brief CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as ESP-IDF's ROM crc32_le.
 *
 * hota_crc32_le(0, buf, len) is zlib's crc32 (Secure Boot V2 blocks, hota's own records);
 * hota_crc32_le(UINT32_MAX, buf, len) is what the ESP-IDF bootloader computes over otadata's
 * ota_seq. The value can be chained: crc32(crc32(0, a), b) == crc32(0, a || b).
 */
#ifndef HOTA_CRC32_H
#define HOTA_CRC32_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Continue a CRC-32 over len bytes of buf. Never fails. */
uint32_t hota_crc32_le(uint32_t crc, const uint8_t *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
