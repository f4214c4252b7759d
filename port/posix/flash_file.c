/* File-backed SPI NOR flash with power-fail injection (see include/hota/flash_file.h). */
#include "hota/flash_file.h"

#include "hota/error.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FF_SECTOR HOTA_FLASH_SECTOR_SIZE
#define FF_CHUNK 16384u /* bytes compared and programmed per pread + pwrite */

/* ---- low-level file I/O ---------------------------------------------------------------- */

/* Reads come from a read-only shared mapping of the file when there is one (the same page
 * cache the pwrites go to, so they see every completed write; no system call, one copy), else
 * from pread. Callers have checked the range. */
static int ff_pread(const hota_flash_file_t *ff, uint32_t addr, void *buf, size_t len)
{
    uint8_t *p = buf;
    if (ff->map) {
        memcpy(buf, ff->map + addr, len);
        return HOTA_OK;
    }
    while (len > 0) {
        ssize_t n = pread(ff->fd, p, len, (off_t)addr);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return HOTA_E_FLASH_IO;
        p += n;
        addr += (uint32_t)n;
        len -= (size_t)n;
    }
    return HOTA_OK;
}

/* Writes go into the shared mapping when it is writable (no system call; the kernel writes
 * the pages back), else through pwrite (HOTA_FLASH_IO=pwrite, or no mapping). */
static int ff_pwrite(const hota_flash_file_t *ff, uint32_t addr, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    if (ff->map_writes) {
        memcpy(ff->map + addr, buf, len);
        return HOTA_OK;
    }
    while (len > 0) {
        ssize_t n = pwrite(ff->fd, p, len, (off_t)addr);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return HOTA_E_FLASH_IO;
        p += n;
        addr += (uint32_t)n;
        len -= (size_t)n;
    }
    return HOTA_OK;
}

static int ff_in_range(const hota_flash_file_t *ff, uint32_t addr, size_t len)
{
    return addr <= ff->size && len <= (size_t)(ff->size - addr);
}

/* ---- reproducible pseudo-random numbers for torn operations ---------------------------- */

static uint64_t ff_mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* How many bytes of a torn write of len bytes land: 1..len-1 (0 when len < 2). */
static size_t ff_torn_prefix(uint64_t n, size_t len)
{
    if (len < 2)
        return 0;
    return 1 + (size_t)(ff_mix(n) % (uint64_t)(len - 1));
}

/* ---- power loss ------------------------------------------------------------------------ */

static void ff_power_lost(hota_flash_file_t *ff, const char *what, uint32_t addr,
                          const char *detail)
{
    if (!ff->fault_exit) {
        ff->dead = 1;
        return;
    }
    fsync(ff->fd); /* once per injected fault: the earlier operations are on disk */
    close(ff->fd);
    ff->fd = -1;
    fprintf(stderr, "hota: power cut at flash operation %" PRIu64 " (%s 0x%" PRIx32 ")%s\n",
            ff->ops, what, addr, detail);
    fflush(NULL);
    _exit(HOTA_POWER_CUT_EXIT);
}

/* Count one operation; returns 1 when it is the faulting one. */
static int ff_count_op(hota_flash_file_t *ff)
{
    ff->ops++;
    return ff->fault != HOTA_FLASH_FAULT_NONE && ff->ops >= ff->fault_at;
}

/* ---- NOR programming ------------------------------------------------------------------- */

/* 1 when data has a 1 bit where old has a 0 (NOR cannot set bits), eight bytes at a time. */
static int nor_violation(const uint8_t *old, const uint8_t *data, size_t n)
{
    uint64_t bad = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t o, d;
        memcpy(&o, old + i, 8);
        memcpy(&d, data + i, 8);
        bad |= d & ~o;
    }
    for (; i < n; i++)
        bad |= (uint64_t)(data[i] & (uint8_t)~old[i]);
    return bad != 0;
}

/* old &= data, eight bytes at a time: what programming stores. */
static void nor_and(uint8_t *old, const uint8_t *data, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t o, d;
        memcpy(&o, old + i, 8);
        memcpy(&d, data + i, 8);
        o &= d;
        memcpy(old + i, &o, 8);
    }
    for (; i < n; i++)
        old[i] &= data[i];
}

/* HOTA_OK when every 1 bit of data is still 1 in flash. */
static int ff_check_erased(const hota_flash_file_t *ff, uint32_t addr, const uint8_t *data,
                           size_t len)
{
    uint8_t old[FF_CHUNK];
    if (ff->map)
        return nor_violation(ff->map + addr, data, len) ? HOTA_E_FLASH_NOT_ERASED : HOTA_OK;
    for (size_t done = 0; done < len;) {
        size_t n = len - done < FF_CHUNK ? len - done : FF_CHUNK;
        int rc = ff_pread(ff, addr + (uint32_t)done, old, n);
        if (rc != HOTA_OK)
            return rc;
        if (nor_violation(old, data + done, n))
            return HOTA_E_FLASH_NOT_ERASED;
        done += n;
    }
    return HOTA_OK;
}

/* Program len bytes: stored = old & data; in the mapping in place, else one pread and one
 * pwrite per FF_CHUNK bytes. check: refuse (HOTA_E_FLASH_NOT_ERASED, nothing written) a bit
 * that would have to rise; for len <= FF_CHUNK only unless mapped, where the check sees every
 * byte before anything is written. */
static int ff_program(const hota_flash_file_t *ff, uint32_t addr, const uint8_t *data,
                      size_t len, int check)
{
    uint8_t buf[FF_CHUNK];
    if (ff->map_writes) { /* in place: one pass over the mapped bytes, no copy */
        if (check && nor_violation(ff->map + addr, data, len))
            return HOTA_E_FLASH_NOT_ERASED;
        nor_and(ff->map + addr, data, len);
        return HOTA_OK;
    }
    for (size_t done = 0; done < len;) {
        size_t n = len - done < FF_CHUNK ? len - done : FF_CHUNK;
        int rc = ff_pread(ff, addr + (uint32_t)done, buf, n);
        if (rc == HOTA_OK && check && nor_violation(buf, data + done, n))
            rc = HOTA_E_FLASH_NOT_ERASED;
        if (rc == HOTA_OK) {
            nor_and(buf, data + done, n);
            rc = ff_pwrite(ff, addr + (uint32_t)done, buf, n);
        }
        if (rc != HOTA_OK)
            return rc;
        done += n;
    }
    return HOTA_OK;
}

static int ff_fill(const hota_flash_file_t *ff, uint32_t addr, uint32_t len)
{
    uint8_t ones[FF_SECTOR];
    if (ff->map_writes) {
        memset(ff->map + addr, 0xFF, len);
        return HOTA_OK;
    }
    memset(ones, 0xFF, sizeof ones);
    for (uint32_t done = 0; done < len; done += FF_SECTOR) {
        int rc = ff_pwrite(ff, addr + done, ones, FF_SECTOR);
        if (rc != HOTA_OK)
            return rc;
    }
    return HOTA_OK;
}

/* A torn erase: each byte of the sector is either erased or keeps its old value. */
static int ff_torn_erase(const hota_flash_file_t *ff, uint32_t addr)
{
    uint8_t buf[FF_SECTOR];
    int rc = ff_pread(ff, addr, buf, sizeof buf);
    if (rc != HOTA_OK)
        return rc;
    uint64_t r = 0;
    for (size_t i = 0; i < sizeof buf; i++) {
        if (i % 64 == 0)
            r = ff_mix(ff->ops * 0x10001ull + i);
        if ((r >> (i % 64)) & 1u)
            buf[i] = 0xFF;
    }
    return ff_pwrite(ff, addr, buf, sizeof buf);
}

/* ---- methods --------------------------------------------------------------------------- */

static int ff_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    hota_flash_file_t *ff = ctx;
    if (ff->fd < 0)
        return HOTA_E_FLASH_IO;
    if (!ff_in_range(ff, addr, len))
        return HOTA_E_FLASH_RANGE;
    return ff_pread(ff, addr, buf, len);
}

static int ff_write_torn(hota_flash_file_t *ff, uint32_t addr, const uint8_t *data, size_t len)
{
    char detail[64];
    size_t part = ff_torn_prefix(ff->ops, len);
    int rc = ff_program(ff, addr, data, part, 0);
    snprintf(detail, sizeof detail, " torn: %zu of %zu bytes written", part, len);
    if (rc == HOTA_OK)
        ff_power_lost(ff, "write", addr, detail);
    return rc == HOTA_OK ? HOTA_E_POWER_CUT : rc;
}

static int ff_write(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    hota_flash_file_t *ff = ctx;
    int fused, rc;
    if (ff->fd < 0)
        return HOTA_E_FLASH_IO;
    if (ff->dead)
        return HOTA_E_POWER_CUT;
    if (!ff_in_range(ff, addr, len))
        return HOTA_E_FLASH_RANGE;
    /* Strict mode refuses a write that would raise a bit before it counts as an operation or
     * changes a byte. With no fault armed and len <= FF_CHUNK the check rides on the
     * program's own read (one pread, one pwrite); otherwise it is a read pass of its own. */
    fused = ff->strict && len <= FF_CHUNK && ff->fault == HOTA_FLASH_FAULT_NONE;
    if (ff->strict && !fused) {
        rc = ff_check_erased(ff, addr, buf, len);
        if (rc != HOTA_OK)
            return rc;
    }
    if (!fused && ff_count_op(ff)) {
        if (ff->fault == HOTA_FLASH_FAULT_TORN && ff->ops == ff->fault_at)
            return ff_write_torn(ff, addr, buf, len);
        ff_power_lost(ff, "write", addr, "");
        return HOTA_E_POWER_CUT;
    }
    rc = ff_program(ff, addr, buf, len, fused);
    if (rc == HOTA_E_FLASH_NOT_ERASED)
        return rc; /* refused: nothing written, not an operation */
    if (fused)
        ff->ops++; /* no fault armed: counting cannot trigger one */
    ff->writes++;
    return rc;
}

static int ff_erase(void *ctx, uint32_t addr)
{
    hota_flash_file_t *ff = ctx;
    if (ff->fd < 0)
        return HOTA_E_FLASH_IO;
    if (ff->dead)
        return HOTA_E_POWER_CUT;
    if (addr % FF_SECTOR != 0)
        return HOTA_E_FLASH_ALIGN;
    if (!ff_in_range(ff, addr, FF_SECTOR))
        return HOTA_E_FLASH_RANGE;
    if (ff_count_op(ff)) {
        int rc = HOTA_OK;
        if (ff->fault == HOTA_FLASH_FAULT_TORN && ff->ops == ff->fault_at)
            rc = ff_torn_erase(ff, addr);
        if (rc == HOTA_OK)
            ff_power_lost(ff, "erase", addr,
                          ff->fault == HOTA_FLASH_FAULT_TORN ? " torn: sector partly erased" : "");
        return rc == HOTA_OK ? HOTA_E_POWER_CUT : rc;
    }
    ff->erases++;
    return ff_fill(ff, addr, FF_SECTOR);
}

static uint32_t ff_size(void *ctx)
{
    return ((const hota_flash_file_t *)ctx)->size;
}

static uint32_t ff_sector_size(void *ctx)
{
    return FF_SECTOR;
}

static const hota_flash_ops_t ff_ops = {
    HOTA_FLASH_OPS_VERSION, ff_read, ff_write, ff_erase, ff_size, ff_sector_size,
};

/* ---- fault specification --------------------------------------------------------------- */

int hota_flash_fault_parse(const char *spec, int *kind, uint64_t *at)
{
    static const struct {
        const char *prefix;
        int kind;
    } kinds[] = {{"cut@", HOTA_FLASH_FAULT_CUT}, {"torn@", HOTA_FLASH_FAULT_TORN}};
    *kind = HOTA_FLASH_FAULT_NONE;
    *at = 0;
    if (!spec || !*spec)
        return HOTA_OK;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t pl = strlen(kinds[k].prefix);
        if (strncmp(spec, kinds[k].prefix, pl) != 0)
            continue;
        const char *num = spec + pl;
        uint64_t n = 0;
        size_t digits = strspn(num, "0123456789");
        if (digits == 0 || digits > 18 || num[digits] != '\0')
            return HOTA_E_INVALID_ARG;
        for (size_t i = 0; i < digits; i++)
            n = n * 10u + (uint64_t)(num[i] - '0');
        if (n == 0)
            return HOTA_E_INVALID_ARG;
        *kind = kinds[k].kind;
        *at = n;
        return HOTA_OK;
    }
    return HOTA_E_INVALID_ARG;
}

int hota_flash_file_set_fault(hota_flash_file_t *ff, int kind, uint64_t at, int exit_process)
{
    if (!ff || kind < HOTA_FLASH_FAULT_NONE || kind > HOTA_FLASH_FAULT_TORN)
        return HOTA_E_INVALID_ARG;
    if (kind != HOTA_FLASH_FAULT_NONE && at == 0)
        return HOTA_E_INVALID_ARG;
    ff->fault = kind;
    ff->fault_at = kind == HOTA_FLASH_FAULT_NONE ? 0 : at;
    ff->fault_exit = exit_process ? 1 : 0;
    ff->dead = 0;
    return HOTA_OK;
}

/* ---- open / close ---------------------------------------------------------------------- */

void hota_flash_file_init(hota_flash_file_t *ff)
{
    memset(ff, 0, sizeof *ff);
    ff->fd = -1;
}

static int ff_size_ok(uint64_t size)
{
    return size % FF_SECTOR == 0 && size >= HOTA_FLASH_FILE_MIN_SIZE &&
           size <= HOTA_FLASH_FILE_MAX_SIZE;
}

static int ff_create(hota_flash_file_t *ff, const char *path, uint32_t size)
{
    if (!ff_size_ok(size))
        return HOTA_E_FLASH_SIZE;
    ff->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (ff->fd < 0)
        return HOTA_E_FILE_OPEN;
    ff->size = size;
    return ff_fill(ff, 0, size);
}

static int ff_open_existing(hota_flash_file_t *ff, const char *path, uint32_t size)
{
    struct stat st;
    ff->fd = open(path, O_RDWR | O_CLOEXEC);
    if (ff->fd < 0)
        return HOTA_E_FILE_OPEN;
    if (fstat(ff->fd, &st) != 0)
        return HOTA_E_FLASH_IO;
    if (st.st_size < 0 || !ff_size_ok((uint64_t)st.st_size))
        return HOTA_E_FLASH_SIZE;
    if (size != 0 && (uint64_t)st.st_size != size)
        return HOTA_E_FLASH_SIZE;
    ff->size = (uint32_t)st.st_size;
    return HOTA_OK;
}

/* Map the file shared: reads and writes become memory copies in the page cache the file
 * itself uses. HOTA_FLASH_IO=pwrite maps it for reading only and keeps every erase and program
 * a pwrite (what an LD_PRELOAD probe can observe, see bench/hook.c). Without a mapping both
 * fall back to pread/pwrite. */
static void ff_map(hota_flash_file_t *ff)
{
    const char *io = getenv("HOTA_FLASH_IO");
    int writes = !(io && strcmp(io, "pwrite") == 0);
    void *m = mmap(NULL, ff->size, writes ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED,
                   ff->fd, 0);
    ff->map = m == MAP_FAILED ? NULL : m;
    ff->map_writes = ff->map && writes;
}

int hota_flash_file_open(hota_flash_file_t *ff, const char *path, int create, uint32_t size,
                         int strict, hota_flash_t *dev)
{
    int rc = HOTA_E_INVALID_ARG;
    int kind;
    uint64_t at;
    if (!ff || !path || !dev)
        return HOTA_E_INVALID_ARG;
    hota_flash_file_free(ff);
    rc = hota_flash_fault_parse(getenv("HOTA_FLASH_FAULT"), &kind, &at);
    if (rc != HOTA_OK)
        goto out;
    rc = create ? ff_create(ff, path, size) : ff_open_existing(ff, path, size);
    if (rc != HOTA_OK)
        goto out;
    ff->strict = strict ? 1 : 0;
    ff_map(ff);
    hota_flash_file_set_fault(ff, kind, at, 1);
    dev->ops = &ff_ops;
    dev->ctx = ff;
    dev->ops_count = 0;
out:
    if (rc != HOTA_OK)
        hota_flash_file_free(ff);
    return rc;
}

void hota_flash_file_free(hota_flash_file_t *ff)
{
    if (!ff)
        return;
    /* Close without fsync: the flash image must outlive the process, which the page cache
     * ensures (the next process sees every completed pwrite), not a crash of the host, which
     * the simulation does not model. An fsync here wrote back every dirty page of the image
     * at each device close (the whole update's 4 MiB, waited for by every `hota` command). */
    if (ff->map)
        munmap((void *)ff->map, ff->size);
    if (ff->fd >= 0)
        close(ff->fd);
    hota_flash_file_init(ff);
}
