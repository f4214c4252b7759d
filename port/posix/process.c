/* Child processes of the running executable (fork + exec of /proc/self/exe), their stdout as
 * lines, bounded waits and stopping; temporary and empty directories. */
#include "hota/error.h"
#include "hota/port.h"
#include "hota/process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define SELF_EXE "/proc/self/exe"
#define EXE_PATH_CAP 4096
#define WAIT_STEP_MS 5u
#define FREE_GRACE_MS 2000u

void hota_proc_init(hota_proc_t *p)
{
    memset(p, 0, sizeof *p);
    p->pid = -1;
    p->out_fd = -1;
}

static int set_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    return fl >= 0 && fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == 0 ? 0 : -1;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* In the child: stdin from /dev/null, stdout into the pipe, die with the parent, exec (the
 * resolved path first: under an emulator such as valgrind /proc/self/exe is the emulator). Any
 * failure is reported to the parent as an errno value on the close-on-exec pipe. */
static void child_exec(const char *exe, const char *const *argv, int out_w, int err_w,
                       pid_t parent)
{
    sigset_t none;
    int e, null_fd = open("/dev/null", O_RDONLY);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_w, STDOUT_FILENO) < 0 ||
        prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) {
        e = errno ? errno : ECHILD;
    } else {
        if (exe[0])
            execv(exe, (char *const *)argv);
        execv(SELF_EXE, (char *const *)argv);
        e = errno;
    }
    if (write(err_w, &e, sizeof e) < 0)
        _exit(126);
    _exit(127);
}

static int count_args(const char *const *argv)
{
    unsigned n = 0;
    while (n <= HOTA_PROC_MAX_ARGS && argv[n])
        n++;
    return n == 0 || n > HOTA_PROC_MAX_ARGS ? -1 : (int)n;
}

/* Parent side after fork: learn whether exec succeeded (the error pipe closes empty). */
static int await_exec(hota_proc_t *p, int err_r)
{
    int e = 0;
    ssize_t n;
    do
        n = read(err_r, &e, sizeof e);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return HOTA_OK;
    while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    p->running = 0;
    p->pid = -1;
    close_fd(&p->out_fd);
    return e == ENOENT || e == EACCES ? HOTA_E_NOT_FOUND : HOTA_E_IO;
}

int hota_proc_spawn_self(hota_proc_t *p, const char *const *argv)
{
    int out[2] = {-1, -1}, err[2] = {-1, -1}, rc = HOTA_E_INVALID_ARG;
    pid_t parent = getpid(), pid;
    char exe[EXE_PATH_CAP];
    ssize_t n;
    if (!p || !argv || count_args(argv) < 0)
        return rc;
    n = readlink(SELF_EXE, exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    if (p->running)
        return HOTA_E_BAD_STATE;
    rc = HOTA_E_IO;
    if (pipe(out) != 0 || pipe(err) != 0 || set_cloexec(out[0]) || set_cloexec(err[0]) ||
        set_cloexec(err[1]))
        goto out;
    pid = fork();
    if (pid < 0)
        goto out;
    if (pid == 0)
        child_exec(exe, argv, out[1], err[1], parent);
    close_fd(&out[1]);
    close_fd(&err[1]);
    p->pid = (int)pid;
    p->running = 1;
    p->exit_code = -1;
    p->out_ended = 0;
    p->len = 0;
    p->out_fd = out[0];
    out[0] = -1;
    rc = await_exec(p, err[0]);
out:
    close_fd(&out[0]);
    close_fd(&out[1]);
    close_fd(&err[0]);
    close_fd(&err[1]);
    return rc;
}

/* Hand out the first line held in buf (or cap - 1 bytes of it; with force also an unfinished
 * last line); 0 when there is none. */
static int take_line(hota_proc_t *p, char *line, size_t cap, int force)
{
    char *nl = memchr(p->buf, '\n', p->len);
    size_t n = nl ? (size_t)(nl - p->buf) : p->len, skip;
    if (p->len == 0)
        return 0;
    if (!nl && !force && p->len < cap - 1 && p->len < sizeof p->buf)
        return 0;
    if (n > cap - 1)
        n = cap - 1;
    memcpy(line, p->buf, n);
    line[n] = 0;
    skip = nl && n == (size_t)(nl - p->buf) ? n + 1 : n;
    memmove(p->buf, p->buf + skip, p->len - skip);
    p->len -= skip;
    return 1;
}

/* One bounded read into buf: HOTA_OK with data, HOTA_E_TIMEOUT, HOTA_E_CLOSED or HOTA_E_IO. */
static int fill(hota_proc_t *p, uint64_t deadline)
{
    struct pollfd pfd = {p->out_fd, POLLIN, 0};
    uint64_t now = hota_now_ms();
    ssize_t n;
    int r = poll(&pfd, 1, now >= deadline ? 0 : (int)(deadline - now));
    if (r < 0)
        return errno == EINTR ? HOTA_OK : HOTA_E_IO;
    if (r == 0)
        return HOTA_E_TIMEOUT;
    n = read(p->out_fd, p->buf + p->len, sizeof p->buf - p->len);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? HOTA_OK : HOTA_E_IO;
    if (n == 0)
        return HOTA_E_CLOSED;
    p->len += (size_t)n;
    return HOTA_OK;
}

int hota_proc_read_line(hota_proc_t *p, char *line, size_t cap, uint32_t timeout_ms)
{
    uint64_t deadline = hota_now_ms() + timeout_ms;
    int rc;
    if (!p || !line || cap == 0)
        return HOTA_E_INVALID_ARG;
    while (!take_line(p, line, cap, p->out_ended)) {
        if (p->out_ended)
            return HOTA_E_CLOSED;
        if (p->out_fd < 0)
            return HOTA_E_BAD_STATE;
        rc = fill(p, deadline);
        if (rc == HOTA_E_CLOSED) {
            close_fd(&p->out_fd);
            p->out_ended = 1;
        } else if (rc != HOTA_OK) {
            return rc;
        }
    }
    return HOTA_OK;
}

/* Reap without blocking: 1 reaped, 0 still running, -1 error. */
static int try_reap(hota_proc_t *p)
{
    int st = 0;
    pid_t r = waitpid((pid_t)p->pid, &st, WNOHANG);
    if (r < 0 && errno == EINTR)
        return 0;
    if (r < 0)
        return -1;
    if (r == 0)
        return 0;
    p->running = 0;
    p->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return 1;
}

int hota_proc_wait(hota_proc_t *p, uint32_t timeout_ms)
{
    uint64_t deadline = hota_now_ms() + timeout_ms;
    if (!p || p->pid < 0)
        return HOTA_E_BAD_STATE;
    for (;;) {
        int r = p->running ? try_reap(p) : 1;
        if (r < 0)
            return HOTA_E_IO;
        if (r > 0)
            return HOTA_OK;
        if (hota_now_ms() >= deadline)
            return HOTA_E_TIMEOUT;
        hota_sleep_ms(WAIT_STEP_MS);
    }
}

int hota_proc_stop(hota_proc_t *p, uint32_t grace_ms)
{
    int rc;
    if (!p || p->pid < 0)
        return HOTA_E_BAD_STATE;
    if (!p->running)
        return HOTA_OK;
    kill((pid_t)p->pid, SIGTERM);
    rc = hota_proc_wait(p, grace_ms);
    if (rc != HOTA_E_TIMEOUT)
        return rc;
    kill((pid_t)p->pid, SIGKILL);
    return hota_proc_wait(p, UINT32_MAX / 2);
}

void hota_proc_free(hota_proc_t *p)
{
    if (!p)
        return;
    if (p->running)
        hota_proc_stop(p, FREE_GRACE_MS);
    close_fd(&p->out_fd);
    p->len = 0;
}

int hota_dir_make_temp(char *path, size_t cap, const char *prefix)
{
    const char *tmp = getenv("TMPDIR");
    int n;
    if (!path || !prefix || !prefix[0] || strchr(prefix, '/'))
        return HOTA_E_INVALID_ARG;
    if (!tmp || tmp[0] != '/')
        tmp = "/tmp";
    n = snprintf(path, cap, "%s/%s-XXXXXX", tmp, prefix);
    if (n < 0 || (size_t)n >= cap)
        return HOTA_E_BUFFER_TOO_SMALL;
    return mkdtemp(path) ? HOTA_OK : HOTA_E_IO;
}

int hota_dir_make(const char *path, int *created)
{
    struct stat st;
    if (created)
        *created = 0;
    if (!path || !path[0])
        return HOTA_E_INVALID_ARG;
    if (mkdir(path, 0700) == 0) {
        if (created)
            *created = 1;
        return HOTA_OK;
    }
    if (errno == ENOENT)
        return HOTA_E_NOT_FOUND;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return HOTA_OK;
    return HOTA_E_IO;
}

int hota_dir_remove(const char *path)
{
    if (!path || !path[0])
        return HOTA_E_INVALID_ARG;
    if (rmdir(path) == 0 || errno == ENOENT)
        return HOTA_OK;
    return errno == ENOTEMPTY || errno == EEXIST ? HOTA_E_BAD_STATE : HOTA_E_IO;
}
