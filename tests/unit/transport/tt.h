/* Helpers shared by the transport tests: temp dirs, certificates, child processes with a
 * bounded line reader on their output, forked plain-TCP peers. Every wait is bounded. */
#ifndef HOTA_TT_H
#define HOTA_TT_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hota/port.h"

/* A child process whose stdout and stderr come back through a pipe. */
typedef struct tt_proc {
    pid_t pid;
    int out;
    int in; /* held open so that tools reading stdin (s_server) never see its end */
    char buf[8192];
    size_t len;
} tt_proc_t;

/* Directory of this test's sources (for mkcerts.sh and tls_peer.py). */
static inline void tt_srcdir(char *out, size_t cap)
{
    const char *top = getenv("HOTA_SOURCE_DIR");
    if (top && *top) {
        snprintf(out, cap, "%s/tests/unit/transport", top);
        return;
    }
    snprintf(out, cap, "%s", __FILE__);
    char *slash = strrchr(out, '/');
    if (slash)
        *slash = '\0';
}

/* A fresh temp dir with the test certificates (see mkcerts.sh); 0 on success. */
static inline int tt_make_pki(char *dir, size_t cap)
{
    char src[512], cmd[1400];
    snprintf(dir, cap, "/tmp/hota-transport-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    tt_srcdir(src, sizeof src);
    snprintf(cmd, sizeof cmd, "sh '%s/mkcerts.sh' '%s' >/dev/null 2>&1", src, dir);
    return system(cmd) == 0 ? 0 : -1;
}

static inline void tt_rmtree(const char *dir)
{
    char cmd[600];
    if (!dir || strncmp(dir, "/tmp/hota-transport-", 20) != 0)
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    (void)system(cmd);
}

/* Start argv[0] (searched in PATH) in directory cwd (NULL: current); 0 on success. */
static inline int tt_spawn(tt_proc_t *p, const char *cwd, char *const argv[])
{
    int fds[2], ins[2];
    memset(p, 0, sizeof *p);
    p->pid = -1;
    p->out = -1;
    p->in = -1;
    if (pipe(fds) != 0)
        return -1;
    if (pipe(ins) != 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    p->pid = fork();
    if (p->pid == 0) {
        dup2(ins[0], 0);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(ins[0]);
        close(ins[1]);
        close(fds[0]);
        close(fds[1]);
        if (cwd && chdir(cwd) != 0)
            _exit(126);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    close(ins[0]);
    p->out = fds[0];
    p->in = ins[1];
    return p->pid > 0 ? 0 : -1;
}

/* Wait until the child's output holds a line containing `what`; copy that line to line.
 * 1 when found, 0 on timeout or end of output. Consumed text up to that line is dropped. */
static inline int tt_wait_line(tt_proc_t *p, const char *what, char *line, size_t cap,
                               uint32_t timeout_ms)
{
    uint64_t deadline = hota_now_ms() + timeout_ms;
    for (;;) {
        char *nl;
        while ((nl = memchr(p->buf, '\n', p->len)) != NULL) {
            size_t n = (size_t)(nl - p->buf);
            int hit;
            *nl = '\0';
            hit = strstr(p->buf, what) != NULL;
            if (hit && line && cap) {
                size_t k = n < cap - 1 ? n : cap - 1;
                memcpy(line, p->buf, k);
                line[k] = '\0';
            }
            memmove(p->buf, nl + 1, p->len - n - 1);
            p->len -= n + 1;
            if (hit)
                return 1;
        }
        uint64_t now = hota_now_ms();
        if (now >= deadline || p->out < 0 || p->len >= sizeof p->buf - 1)
            return 0;
        struct pollfd pf = {p->out, POLLIN, 0};
        if (poll(&pf, 1, (int)(deadline - now)) <= 0)
            continue;
        ssize_t r = read(p->out, p->buf + p->len, sizeof p->buf - 1 - p->len);
        if (r <= 0)
            return 0;
        p->len += (size_t)r;
    }
}

/* Wait at most timeout_ms for the child to exit by itself; 1 when it did. */
static inline int tt_wait_exit(tt_proc_t *p, uint32_t timeout_ms)
{
    uint64_t deadline = hota_now_ms() + timeout_ms;
    int st;
    if (p->pid <= 0)
        return 1;
    for (;;) {
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid || (r < 0 && errno == ECHILD)) {
            p->pid = -1;
            return 1;
        }
        if (hota_now_ms() >= deadline)
            return 0;
        hota_sleep_ms(10);
    }
}

/* Stop the child (TERM, then KILL after 2 s) and release the pipe. */
static inline void tt_stop(tt_proc_t *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        if (!tt_wait_exit(p, 2000)) {
            kill(p->pid, SIGKILL);
            (void)tt_wait_exit(p, 2000);
        }
    }
    if (p->out >= 0)
        close(p->out);
    if (p->in >= 0)
        close(p->in);
    p->out = -1;
    p->in = -1;
}

/* Run fn(arg) in a forked child that exits afterwards; returns its pid. */
static inline pid_t tt_fork_peer(void (*fn)(void *), void *arg)
{
    pid_t pid = fork();
    if (pid == 0) {
        fn(arg);
        _exit(0);
    }
    return pid;
}

/* Reap a forked peer, killing it if it is still there after timeout_ms. */
static inline void tt_reap(pid_t pid, uint32_t timeout_ms)
{
    tt_proc_t p;
    memset(&p, 0, sizeof p);
    p.pid = pid;
    p.out = -1;
    p.in = -1;
    if (!tt_wait_exit(&p, timeout_ms))
        tt_stop(&p);
}

#endif
