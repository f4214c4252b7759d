/* POSIX clock, sleep and entropy. */
#include "hota/error.h"
#include "hota/port.h"

#include <errno.h>
#include <sys/random.h>
#include <sys/types.h>
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

/* getrandom(2): no file, no stdio buffer, so it never allocates (the TLS filter seeds its DRBG
 * with it on every connection). Blocks only until the kernel pool is first initialised. */
int hota_entropy(uint8_t *buf, size_t len)
{
    int rc = HOTA_E_IO;
    size_t got = 0;
    while (got < len) {
        ssize_t n = getrandom(buf + got, len - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto out;
        got += (size_t)n;
    }
    rc = HOTA_OK;
out:
    return rc;
}
