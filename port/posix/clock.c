/* POSIX clock, sleep and entropy. */
#include "hota/error.h"
#include "hota/port.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

uint64_t hota_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t hota_now_ms(void)
{
    return hota_now_us() / 1000u;
}

void hota_sleep_ms(uint32_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int hota_entropy(uint8_t *buf, size_t len)
{
    int rc = HOTA_E_IO;
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f)
        goto out;
    if (fread(buf, 1, len, f) == len)
        rc = HOTA_OK;
    fclose(f);
out:
    return rc;
}
