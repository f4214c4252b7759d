/* See alloc_interpose.h. The real allocator is found with dlsym(RTLD_NEXT); while dlsym itself
 * runs, its few allocations come from a small static arena that free() recognises. */
#define _GNU_SOURCE
#include "alloc_interpose.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The sanitizer runtime allocates (and frees through these functions) before its shadow memory
 * exists: nothing here may be instrumented. */
#define NOSAN __attribute__((no_sanitize("address", "undefined")))

#define IP_TABLE 65536u     /* live blocks remembered (power of two) */
#define IP_ARENA 8192u      /* bootstrap bytes for dlsym's own allocations */

typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);

static struct {
    malloc_fn malloc_;
    calloc_fn calloc_;
    realloc_fn realloc_;
    free_fn free_;
    int resolving;
    int counting;
    int used;
    uint64_t fail_at;
    hota_ip_stats_t st;
    size_t arena_used;
    _Alignas(16) unsigned char arena[IP_ARENA];
    void *table[IP_TABLE];
} ip;

static const uintptr_t TOMB = 1;

NOSAN static void resolve(void)
{
    if (ip.free_ || ip.resolving)
        return;
    ip.resolving = 1;
    ip.malloc_ = (malloc_fn)dlsym(RTLD_NEXT, "malloc");
    ip.calloc_ = (calloc_fn)dlsym(RTLD_NEXT, "calloc");
    ip.realloc_ = (realloc_fn)dlsym(RTLD_NEXT, "realloc");
    ip.free_ = (free_fn)dlsym(RTLD_NEXT, "free");
    ip.resolving = 0;
    if (!ip.malloc_ || !ip.calloc_ || !ip.realloc_ || !ip.free_) {
        static const char msg[] = "alloc_interpose: the real allocator was not found\n";
        fwrite(msg, 1, sizeof msg - 1, stderr);
        abort();
    }
}

NOSAN static void *arena_alloc(size_t n)
{
    size_t want = (n + 15u) & ~(size_t)15u;
    void *p;
    if (want > IP_ARENA - ip.arena_used)
        return NULL;
    p = ip.arena + ip.arena_used;
    ip.arena_used += want;
    for (size_t i = 0; i < n; i++) /* arena bytes are zero already; keep calloc's promise */
        ((unsigned char *)p)[i] = 0;
    return p;
}

NOSAN static int in_arena(const void *p)
{
    const unsigned char *c = p;
    return c >= ip.arena && c < ip.arena + IP_ARENA;
}

NOSAN static size_t slot_of(const void *p)
{
    uintptr_t v = (uintptr_t)p;
    v ^= v >> 17;
    v *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return (size_t)(v >> 7) & (IP_TABLE - 1);
}

NOSAN static void remember(void *p)
{
    size_t i = slot_of(p);
    for (size_t k = 0; k < IP_TABLE; k++, i = (i + 1) & (IP_TABLE - 1))
        if (!ip.table[i] || ip.table[i] == (void *)TOMB) {
            ip.table[i] = p;
            ip.st.live++;
            return;
        }
    ip.st.overflow = 1;
}

NOSAN static void forget(void *p)
{
    size_t i = slot_of(p);
    for (size_t k = 0; k < IP_TABLE && ip.table[i]; k++, i = (i + 1) & (IP_TABLE - 1))
        if (ip.table[i] == p) {
            ip.table[i] = (void *)TOMB;
            ip.st.live--;
            return;
        }
}

/* Count one allocation call; 1 when it must fail (errno is then ENOMEM, as POSIX has the real
 * allocator set it: callers such as fopen() report that). */
NOSAN static int count_call(void)
{
    if (!ip.counting)
        return 0;
    ip.st.calls++;
    if (ip.fail_at && ip.st.calls == ip.fail_at) {
        ip.st.failed++;
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

NOSAN void *hota_ip_malloc(size_t n)
{
    void *p;
    if (!ip.free_ && ip.resolving)
        return arena_alloc(n);
    resolve();
    if (count_call())
        return NULL;
    p = ip.malloc_(n);
    if (p && ip.counting)
        remember(p);
    return p;
}

NOSAN void *hota_ip_calloc(size_t n, size_t size)
{
    void *p;
    if (!ip.free_ && ip.resolving)
        return size && n > SIZE_MAX / size ? NULL : arena_alloc(n * size);
    resolve();
    if (count_call())
        return NULL;
    p = ip.calloc_(n, size);
    if (p && ip.counting)
        remember(p);
    return p;
}

NOSAN void *hota_ip_realloc(void *p, size_t n)
{
    void *q;
    resolve();
    if (in_arena(p))
        return NULL; /* dlsym's blocks are never resized */
    if (count_call())
        return NULL;
    q = ip.realloc_(p, n);
    if (q && p)
        forget(p);
    if (q && ip.counting)
        remember(q);
    return q;
}

NOSAN void hota_ip_free(void *p)
{
    if (!p || in_arena(p))
        return;
    resolve();
    forget(p);
    ip.free_(p);
}

void hota_ip_start(uint64_t fail_at)
{
    resolve();
    memset(ip.table, 0, sizeof ip.table);
    memset(&ip.st, 0, sizeof ip.st);
    ip.fail_at = fail_at;
    ip.counting = 1;
    ip.used = 1;
}

void hota_ip_stop(void)
{
    ip.counting = 0;
    ip.fail_at = 0;
}

hota_ip_stats_t hota_ip_stats(void)
{
    return ip.st;
}

int hota_ip_active(void)
{
    void *volatile p; /* volatile: the call must not be optimised away */
    hota_ip_start(0);
    p = malloc(1);
    hota_ip_stop();
    free(p);
    return ip.st.calls == 1;
}
