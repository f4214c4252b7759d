/**
 * @file process.h
 * @brief Child processes of the hota program itself (port/posix/process.c): start the running
 *        executable again with other arguments (`hota demo` starts `hota serve` this way), read
 *        the lines it prints on stdout, wait for it with a bound, stop it.
 *
 * The child's stdout is a pipe read with hota_proc_read_line(); stdin is /dev/null; stderr is
 * shared with the parent. The child receives SIGTERM when the parent dies, so it never outlives
 * it. hota_proc_t is caller-allocated; hota_proc_free() stops and reaps a child that still
 * runs, so calling it on every path is enough to leave no process behind. Not thread-safe.
 */
#ifndef HOTA_PROCESS_H
#define HOTA_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most arguments passed to a child (the terminating NULL not counted). */
#define HOTA_PROC_MAX_ARGS 32u
/** Bytes of child output buffered while looking for the end of a line. */
#define HOTA_PROC_LINE_CAP 512u

/** A child process. Fields are private except pid and exit_code. */
typedef struct hota_proc {
    int pid;                 /**< process id, -1 when none was started */
    int running;             /**< 1 from spawn until it was reaped */
    int exit_code;           /**< once reaped: its exit status, or 128 + the signal that ended it */
    int out_fd;              /**< read end of the child's stdout, -1 when closed */
    int out_ended;           /**< 1 once the child's stdout reached its end */
    size_t len;              /**< bytes held in buf */
    char buf[HOTA_PROC_LINE_CAP];
} hota_proc_t;

/** @brief Make p empty (no child, no descriptor). Cannot fail. */
void hota_proc_init(hota_proc_t *p);

/**
 * @brief Start the running executable again with argv (argv[0] is the name the child sees,
 *        argv ends with NULL). Returns once the child runs the new program.
 * @return HOTA_OK; HOTA_E_INVALID_ARG (NULL, no argv[0], more than HOTA_PROC_MAX_ARGS
 *         arguments); HOTA_E_BAD_STATE (p already has a running child); HOTA_E_NOT_FOUND (the
 *         executable cannot be started again); HOTA_E_IO (pipe or fork failed).
 */
int hota_proc_spawn_self(hota_proc_t *p, const char *const *argv);

/**
 * @brief Read the next line the child wrote on stdout, without its newline, waiting at most
 *        timeout_ms in all. A line longer than cap - 1 (or HOTA_PROC_LINE_CAP - 1) bytes is
 *        cut there; the rest of it is returned by the next call.
 * @return HOTA_OK (line NUL-terminated); HOTA_E_TIMEOUT; HOTA_E_CLOSED (the child closed its
 *         stdout, e.g. it exited, and every line was read); HOTA_E_INVALID_ARG (cap 0);
 *         HOTA_E_BAD_STATE (no child was started, or hota_proc_free() closed the pipe);
 *         HOTA_E_IO.
 */
int hota_proc_read_line(hota_proc_t *p, char *line, size_t cap, uint32_t timeout_ms);

/**
 * @brief Wait at most timeout_ms for the child to end and reap it (p->exit_code is set).
 *        Already reaped: returns at once.
 * @return HOTA_OK; HOTA_E_TIMEOUT (still running); HOTA_E_BAD_STATE (never started); HOTA_E_IO.
 */
int hota_proc_wait(hota_proc_t *p, uint32_t timeout_ms);

/**
 * @brief Stop the child: SIGTERM, wait up to grace_ms, then SIGKILL and reap it. Already
 *        reaped: returns at once.
 * @return HOTA_OK (reaped; p->exit_code set); HOTA_E_BAD_STATE (never started); HOTA_E_IO.
 */
int hota_proc_stop(hota_proc_t *p, uint32_t grace_ms);

/**
 * @brief Stop a child that still runs (hota_proc_stop with a 2 s grace), close the pipe.
 *        Safe to call twice and on a p that never started a child.
 */
void hota_proc_free(hota_proc_t *p);

/**
 * @brief Make a new, empty directory with a unique name "<tmp>/<prefix>-XXXXXX" (mode 0700),
 *        where <tmp> is $TMPDIR or /tmp.
 * @param path receives the directory's path.
 * @return HOTA_OK; HOTA_E_INVALID_ARG (NULL, or a prefix empty or containing '/');
 *         HOTA_E_BUFFER_TOO_SMALL (the path does not fit cap); HOTA_E_IO (creation failed).
 */
int hota_dir_make_temp(char *path, size_t cap, const char *prefix);

/**
 * @brief Make the directory path (mode 0700) unless it exists already as a directory.
 * @param created set to 1 when this call made it, 0 when it existed (may be NULL).
 * @return HOTA_OK; HOTA_E_INVALID_ARG; HOTA_E_NOT_FOUND (a parent directory is missing);
 *         HOTA_E_IO (path is a file, or creation failed).
 */
int hota_dir_make(const char *path, int *created);

/**
 * @brief Remove an empty directory.
 * @return HOTA_OK (also when absent); HOTA_E_BAD_STATE (not empty); HOTA_E_INVALID_ARG; HOTA_E_IO.
 */
int hota_dir_remove(const char *path);

#ifdef __cplusplus
}
#endif
#endif /* HOTA_PROCESS_H */
