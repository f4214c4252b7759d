/**
 * @file port.h
 * @brief The operating-system services hota needs besides sockets and files: time and entropy.
 *
 * Everything here is implemented under port/ (port/posix for Linux). A port to another MCU
 * provides these functions, the socket calls of net.h and a flash device (flash.h).
 */
#ifndef HOTA_PORT_H
#define HOTA_PORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Monotonic milliseconds since an arbitrary start. Never fails. */
uint64_t hota_now_ms(void);
/** @brief Monotonic microseconds since an arbitrary start. Never fails. */
uint64_t hota_now_us(void);
/** @brief Sleep for at least ms milliseconds. */
void hota_sleep_ms(uint32_t ms);
/**
 * @brief Fill buf with len bytes from the OS entropy source.
 * @return HOTA_OK, or HOTA_E_IO when the source cannot be read.
 */
int hota_entropy(uint8_t *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
