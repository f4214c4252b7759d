/**
 * @file file.h
 * @brief Small-file services, implemented under port/ (port/posix/file.c for Linux): reading a
 *        regular file at offsets (update images, served files), and whole small records
 *        (the OTA progress record, the eFuse sidecar) loaded at once and replaced atomically.
 *
 * Descriptors returned by hota_pfile_open() belong to the caller until hota_pfile_close().
 * Paths are only read during each call.
 */
#ifndef HOTA_FILE_H
#define HOTA_FILE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Open a regular file for reading. Opening never blocks (a FIFO is refused, not waited on).
 * @param fd    receives the descriptor (-1 on failure).
 * @param size  receives the size in bytes.
 * @param mtime receives the modification time (seconds since the epoch); may be NULL.
 * @return HOTA_OK; HOTA_E_NOT_FOUND (missing or not a regular file); HOTA_E_FILE_OPEN.
 */
int hota_pfile_open(int *fd, const char *path, uint64_t *size, int64_t *mtime);

/** @brief Read up to cap bytes at off. @return HOTA_OK (*n 0 at the end) or HOTA_E_IO. */
int hota_pfile_pread(int fd, uint64_t off, uint8_t *buf, size_t cap, size_t *n);

/** @brief Close *fd and set it to -1. Safe twice and on -1. */
void hota_pfile_close(int *fd);

/**
 * @brief Replace the file at path with len bytes, atomically: write "<path>.tmp", rename it
 *        over path. A reader sees the old or the new content, never a mix.
 * @param durable 1: fsync the data before the rename, so the new content also survives a crash
 *        of the host; 0: no fsync, enough to survive a killed process (the page cache keeps it),
 *        which is what frequent records such as the OTA progress record need.
 * @return HOTA_OK; HOTA_E_INVALID_ARG (path too long); HOTA_E_FILE_OPEN; HOTA_E_IO.
 */
int hota_pfile_replace(const char *path, const void *buf, size_t len, int durable);

/**
 * @brief Open an existing regular file for reading and writing (never created, never
 *        truncated), e.g. to rewrite a fixed-size record in place.
 * @param fd   receives the descriptor (-1 on failure); the caller closes it (hota_pfile_close).
 * @param path the file (only read during the call).
 * @return HOTA_OK; HOTA_E_NOT_FOUND (missing or not a regular file); HOTA_E_FILE_OPEN (cannot
 *         be opened or examined).
 */
int hota_pfile_open_rw(int *fd, const char *path);

/**
 * @brief Write len bytes at off, all of them (retried on short writes and EINTR). One small
 *        write inside a page is not torn by a killed process; records carry their own CRC for
 *        anything else.
 * @param fd  a descriptor open for writing (hota_pfile_open_rw).
 * @param off file offset of the first byte.
 * @param buf the bytes (len of them; may be NULL when len is 0).
 * @param len how many.
 * @return HOTA_OK or HOTA_E_IO.
 */
int hota_pfile_pwrite(int fd, uint64_t off, const void *buf, size_t len);

/**
 * @brief Read a whole small file of at most cap bytes.
 * @return HOTA_OK (*len set); HOTA_E_NOT_FOUND (missing or not a regular file);
 *         HOTA_E_FILE_OPEN; HOTA_E_IO; HOTA_E_BUFFER_TOO_SMALL (the file is larger than cap).
 */
int hota_pfile_load(const char *path, void *buf, size_t cap, size_t *len);

/** @brief Remove the file (and a leftover "<path>.tmp"). @return HOTA_OK (also when absent)
 *         or HOTA_E_IO. */
int hota_pfile_remove(const char *path);

#ifdef __cplusplus
}
#endif
#endif
