/* Counting allocator with an injected-failure hook. Each block carries a small size header. */
#include "hota/alloc.h"

#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform.h>

typedef union {
    size_t size;
    max_align_t align;
} blk_hdr;

static hota_alloc_stats_t st;

void hota_alloc_fail_at(uint64_t n)
{
    st.fail_at = n ? st.count + st.failed + n : 0;
}

static int injected_failure(void)
{
    if (!st.fail_at || st.count + st.failed + 1 != st.fail_at)
        return 0;
    st.failed++;
    return 1;
}

void *hota_calloc(size_t n, size_t size)
{
    blk_hdr *h;
    if (size && n > (SIZE_MAX - sizeof *h) / size)
        return NULL;
    if (injected_failure())
        return NULL;
    h = calloc(1, sizeof *h + n * size);
    if (!h)
        return NULL;
    h->size = n * size;
    st.count++;
    st.current += h->size;
    if (st.current > st.peak)
        st.peak = st.current;
    return h + 1;
}

void hota_free(void *p)
{
    blk_hdr *h;
    if (!p)
        return;
    h = (blk_hdr *)p - 1;
    st.current -= h->size;
    free(h);
}

void hota_alloc_install_mbedtls(void)
{
#if defined(MBEDTLS_PLATFORM_MEMORY)
    mbedtls_platform_set_calloc_free(hota_calloc, hota_free);
#endif
}

hota_alloc_stats_t hota_alloc_stats(int reset_peak)
{
    if (reset_peak)
        st.peak = st.current;
    return st;
}
