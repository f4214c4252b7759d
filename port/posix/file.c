/* POSIX small-file services: files read at offsets, whole records replaced atomically. */
#include "hota/error.h"
#include "hota/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_SUFFIX ".tmp"
#define PATH_CAP 4200

int hota_pfile_open(int *fd, const char *path, uint64_t *size, int64_t *mtime)
{
    struct stat st;
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (*fd < 0)
        return errno == ENOENT ? HOTA_E_NOT_FOUND : HOTA_E_FILE_OPEN;
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(*fd);
        *fd = -1;
        return HOTA_E_NOT_FOUND;
    }
    *size = (uint64_t)st.st_size;
    if (mtime)
        *mtime = (int64_t)st.st_mtime;
    return HOTA_OK;
}

int hota_pfile_pread(int fd, uint64_t off, uint8_t *buf, size_t cap, size_t *n)
{
    ssize_t r;
    do {
        r = pread(fd, buf, cap, (off_t)off);
    } while (r < 0 && errno == EINTR);
    *n = r > 0 ? (size_t)r : 0;
    return r < 0 ? HOTA_E_IO : HOTA_OK;
}

void hota_pfile_close(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int tmp_name(const char *path, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%s", path, TMP_SUFFIX);
    return n < 0 || (size_t)n >= cap ? HOTA_E_INVALID_ARG : HOTA_OK;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return HOTA_E_IO;
        p += w;
        len -= (size_t)w;
    }
    return HOTA_OK;
}

int hota_pfile_replace(const char *path, const void *buf, size_t len, int durable)
{
    char tmp[PATH_CAP];
    int rc = tmp_name(path, tmp, sizeof tmp), fd;
    if (rc != HOTA_OK)
        return rc;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return HOTA_E_FILE_OPEN;
    rc = write_all(fd, buf, len);
    if (rc == HOTA_OK && durable && fsync(fd) != 0)
        rc = HOTA_E_IO;
    if (close(fd) != 0 && rc == HOTA_OK)
        rc = HOTA_E_IO;
    if (rc == HOTA_OK && rename(tmp, path) != 0)
        rc = HOTA_E_IO;
    if (rc != HOTA_OK)
        unlink(tmp);
    return rc;
}

int hota_pfile_open_rw(int *fd, const char *path)
{
    struct stat st;
    int rc = HOTA_E_FILE_OPEN;
    *fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (*fd < 0) {
        rc = errno == ENOENT ? HOTA_E_NOT_FOUND : HOTA_E_FILE_OPEN;
        goto out;
    }
    if (fstat(*fd, &st) != 0)
        goto out;
    rc = S_ISREG(st.st_mode) ? HOTA_OK : HOTA_E_NOT_FOUND;
out:
    if (rc != HOTA_OK)
        hota_pfile_close(fd);
    return rc;
}

int hota_pfile_pwrite(int fd, uint64_t off, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t w = pwrite(fd, p, len, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return HOTA_E_IO;
        p += w;
        off += (uint64_t)w;
        len -= (size_t)w;
    }
    return HOTA_OK;
}

int hota_pfile_load(const char *path, void *buf, size_t cap, size_t *len)
{
    uint64_t size = 0;
    size_t n = 0;
    int fd, rc = hota_pfile_open(&fd, path, &size, NULL);
    if (rc != HOTA_OK)
        return rc;
    rc = size > cap ? HOTA_E_BUFFER_TOO_SMALL : HOTA_OK;
    if (rc == HOTA_OK)
        rc = hota_pfile_pread(fd, 0, buf, (size_t)size, &n);
    if (rc == HOTA_OK && n != size)
        rc = HOTA_E_IO;
    *len = n;
    hota_pfile_close(&fd);
    return rc;
}

int hota_pfile_remove(const char *path)
{
    char tmp[PATH_CAP];
    int rc = HOTA_OK;
    if (unlink(path) != 0 && errno != ENOENT)
        rc = HOTA_E_IO;
    if (tmp_name(path, tmp, sizeof tmp) == HOTA_OK)
        unlink(tmp);
    return rc;
}
