/* LD_PRELOAD probe for the benchmark (never linked into hota):
 *  - heap: malloc/calloc/realloc/free/memalign family are counted per call site. A block
 *    belongs to "tls" when the caller is inside libmbedtls/libmbedx509/libmbedcrypto (Debian's
 *    mbedTLS is built without MBEDTLS_PLATFORM_MEMORY, so it calls calloc/free directly), to
 *    "exe" when the caller is the main program, else to "libc" (stdio buffers and the like,
 *    always on behalf of the program). Peaks: per class and of the total, with the split at
 *    the moment of the total peak.
 *  - flash: pwrite/pwrite64 on the file named by HOTA_BENCH_FLASH are classified: a 4096-byte,
 *    sector-aligned write of all 0xFF is an erase (that is how the emulated NOR erases); every
 *    other pwrite is a program. Erases are counted per sector.
 *  - fsync/fdatasync calls (progress records) are counted.
 * At exit one JSON object is written to the file named by HOTA_BENCH_HOOK_OUT.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t s);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

/* Exported interposers (prototypes keep -Wmissing-prototypes quiet). */
void *malloc(size_t n);
void *calloc(size_t n, size_t s);
void *realloc(void *p, size_t n);
void free(void *p);
int posix_memalign(void **out, size_t align, size_t n);
void *aligned_alloc(size_t align, size_t n);
void *memalign(size_t align, size_t n);
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off);
int fsync(int fd);
int fdatasync(int fd);

enum { CLS_TLS, CLS_EXE, CLS_LIBC, CLS_N };
#define SLOTS (1u << 18)
#define SECTOR 4096u
#define MAX_SECTORS (128u * 1024u * 1024u / SECTOR)
#define TOMB ((void *)1)

static struct {
    void *key[SLOTS];
    uint32_t size[SLOTS];
    uint8_t cls[SLOTS];
    size_t cur[CLS_N], peak[CLS_N], total, peak_total, at_peak[CLS_N];
    uint64_t count[CLS_N], lost;
    int busy;
    /* flash */
    int flash_init;
    dev_t flash_dev;
    ino_t flash_ino;
    uint16_t erased[MAX_SECTORS];
    uint64_t erases, programs, program_bytes, fsyncs, max_erase;
    ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
    int (*real_fsync)(int);
    int (*real_fdatasync)(int);
} g;

static uint32_t slot_of(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (uint32_t)x & (SLOTS - 1);
}

/* Shared objects are named *.so*; the main program (hota, the ceiling) is not. */
static int classify(const void *caller)
{
    Dl_info info;
    if (!dladdr(caller, &info) || !info.dli_fname)
        return CLS_LIBC;
    if (strstr(info.dli_fname, "libmbed"))
        return CLS_TLS;
    return strstr(info.dli_fname, ".so") ? CLS_LIBC : CLS_EXE;
}

static void track(void *p, size_t n, const void *caller)
{
    uint32_t i;
    int c;
    if (!p || g.busy)
        return;
    g.busy = 1;
    c = classify(caller);
    g.busy = 0;
    for (i = slot_of(p); g.key[i] && g.key[i] != TOMB; i = (i + 1) & (SLOTS - 1)) {
    }
    g.key[i] = p;
    g.size[i] = (uint32_t)n;
    g.cls[i] = (uint8_t)c;
    g.count[c]++;
    g.cur[c] += n;
    g.total += n;
    if (g.cur[c] > g.peak[c])
        g.peak[c] = g.cur[c];
    if (g.total > g.peak_total) {
        g.peak_total = g.total;
        memcpy(g.at_peak, g.cur, sizeof g.cur);
    }
}

static void untrack(void *p)
{
    uint32_t i;
    if (!p)
        return;
    for (i = slot_of(p); g.key[i]; i = (i + 1) & (SLOTS - 1))
        if (g.key[i] == p) {
            g.cur[g.cls[i]] -= g.size[i];
            g.total -= g.size[i];
            g.key[i] = TOMB;
            return;
        }
    g.lost++; /* allocated before the probe saw it (e.g. by the loader) */
}

void *malloc(size_t n)
{
    void *p = __libc_malloc(n);
    track(p, n, __builtin_return_address(0));
    return p;
}

void *calloc(size_t n, size_t s)
{
    void *p = __libc_calloc(n, s);
    track(p, n * s, __builtin_return_address(0));
    return p;
}

void *realloc(void *p, size_t n)
{
    void *q = __libc_realloc(p, n);
    if (q || !n)
        untrack(p);
    track(q, n, __builtin_return_address(0));
    return q;
}

void free(void *p)
{
    untrack(p);
    __libc_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    void *p = __libc_memalign(align, n);
    if (!p)
        return 12; /* ENOMEM */
    track(p, n, __builtin_return_address(0));
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t n)
{
    void *p = __libc_memalign(align, n);
    track(p, n, __builtin_return_address(0));
    return p;
}

void *memalign(size_t align, size_t n)
{
    void *p = __libc_memalign(align, n);
    track(p, n, __builtin_return_address(0));
    return p;
}

/* ---- flash operations ------------------------------------------------------------------- */

static void flash_init(void)
{
    const char *path = getenv("HOTA_BENCH_FLASH");
    struct stat st;
    g.flash_init = 1;
    g.real_pwrite = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
    g.real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    g.real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (path && stat(path, &st) == 0) {
        g.flash_dev = st.st_dev;
        g.flash_ino = st.st_ino;
    }
}

static int is_flash(int fd)
{
    struct stat st;
    return g.flash_ino && fstat(fd, &st) == 0 && st.st_ino == g.flash_ino &&
           st.st_dev == g.flash_dev;
}

static int all_ff(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0xFF)
            return 0;
    return 1;
}

static void note_write(int fd, const void *buf, size_t n, off_t off)
{
    if (!is_flash(fd))
        return;
    if (n == SECTOR && off % SECTOR == 0 && all_ff(buf, n) && off / SECTOR < MAX_SECTORS) {
        uint16_t *e = &g.erased[off / SECTOR];
        g.erases++;
        if (*e < UINT16_MAX)
            (*e)++;
        if (*e > g.max_erase)
            g.max_erase = *e;
        return;
    }
    g.programs++;
    g.program_bytes += n;
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    if (!g.flash_init)
        flash_init();
    note_write(fd, buf, n, off);
    return g.real_pwrite(fd, buf, n, off);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    return pwrite64(fd, buf, n, off);
}

int fsync(int fd)
{
    if (!g.flash_init)
        flash_init();
    g.fsyncs++;
    return g.real_fsync(fd);
}

int fdatasync(int fd)
{
    if (!g.flash_init)
        flash_init();
    g.fsyncs++;
    return g.real_fdatasync(fd);
}

/* ---- report ------------------------------------------------------------------------------ */

static uint64_t sectors_erased(uint64_t *twice)
{
    uint64_t n = 0;
    *twice = 0;
    for (uint32_t i = 0; i < MAX_SECTORS; i++) {
        n += g.erased[i] > 0;
        *twice += g.erased[i] > 1;
    }
    return n;
}

__attribute__((destructor)) static void report(void)
{
    const char *path = getenv("HOTA_BENCH_HOOK_OUT");
    char out[1024];
    uint64_t twice = 0, distinct = sectors_erased(&twice);
    int fd, n;
    if (!path)
        return;
    n = snprintf(out, sizeof out,
                 "{\"peak_total\":%zu,\"peak_tls\":%zu,\"peak_exe\":%zu,\"peak_libc\":%zu,"
                 "\"at_peak_tls\":%zu,\"at_peak_exe\":%zu,\"at_peak_libc\":%zu,"
                 "\"allocs_tls\":%llu,\"allocs_exe\":%llu,\"allocs_libc\":%llu,"
                 "\"erases\":%llu,\"sectors_erased\":%llu,\"sectors_erased_twice\":%llu,"
                 "\"max_erases_per_sector\":%llu,\"programs\":%llu,\"program_bytes\":%llu,"
                 "\"fsyncs\":%llu}\n",
                 g.peak_total, g.peak[CLS_TLS], g.peak[CLS_EXE], g.peak[CLS_LIBC],
                 g.at_peak[CLS_TLS], g.at_peak[CLS_EXE], g.at_peak[CLS_LIBC],
                 (unsigned long long)g.count[CLS_TLS], (unsigned long long)g.count[CLS_EXE],
                 (unsigned long long)g.count[CLS_LIBC], (unsigned long long)g.erases,
                 (unsigned long long)distinct, (unsigned long long)twice,
                 (unsigned long long)g.max_erase, (unsigned long long)g.programs,
                 (unsigned long long)g.program_bytes, (unsigned long long)g.fsyncs);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || n <= 0)
        return;
    if (write(fd, out, (size_t)n) != n)
        n = 0;
    close(fd);
}
