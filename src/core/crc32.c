/* CRC-32, bitwise: small and fast enough for the few short records hota checks. */
#include "hota/crc32.h"

uint32_t hota_crc32_le(uint32_t crc, const uint8_t *buf, size_t len)
{
    uint32_t c = ~crc;
    for (size_t i = 0; i < len; i++) {
        c ^= buf[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}
