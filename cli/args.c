/* Option parsing and error reporting shared by all subcommands. */
#include "cli.h"

#include "hota/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_args_init(cli_args_t *a, int argc, char **argv)
{
    a->argc = argc;
    a->argv = argv;
    a->i = 1;
    a->cmd = argv[0];
}

int cli_args_next(cli_args_t *a, const char **opt, const char **val, const char **pos)
{
    static char optbuf[64];
    const char *s, *eq;
    *opt = *val = *pos = NULL;
    if (a->i >= a->argc)
        return 0;
    s = a->argv[a->i++];
    if (strncmp(s, "--", 2) != 0 || !s[2]) {
        *pos = s;
        return 1;
    }
    eq = strchr(s, '=');
    if (!eq || (size_t)(eq - s) >= sizeof optbuf) {
        *opt = s;
        return 1;
    }
    memcpy(optbuf, s, (size_t)(eq - s));
    optbuf[eq - s] = '\0';
    *opt = optbuf;
    *val = eq + 1;
    return 1;
}

const char *cli_args_value(cli_args_t *a, const char *opt, const char *val)
{
    if (val)
        return val;
    if (a->i < a->argc)
        return a->argv[a->i++];
    cli_usage_error(a->cmd, "option %s needs a value", opt);
    return NULL;
}

static uint64_t suffix_mult(const char *s)
{
    static const struct {
        const char *sfx;
        uint64_t mult;
    } t[] = {{"", 1},           {"K", 1024},       {"KB", 1024},     {"KiB", 1024},
             {"M", 1u << 20},   {"MB", 1u << 20},  {"MiB", 1u << 20}, {"G", 1u << 30},
             {"GB", 1u << 30},  {"GiB", 1u << 30}, {"k", 1024},       {"m", 1u << 20}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(s, t[i].sfx))
            return t[i].mult;
    return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    uint64_t v, m;
    if (!s || !*s || *s == '-')
        return HOTA_E_INVALID_ARG;
    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || end == s)
        return HOTA_E_INVALID_ARG;
    m = suffix_mult(end);
    if (!m || v > UINT64_MAX / m)
        return HOTA_E_INVALID_ARG;
    *out = v * m;
    return HOTA_OK;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "hota %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_EXIT_USAGE;
}

int cli_fail(const char *cmd, const char *what, int err)
{
    fprintf(stderr, "hota %s: %s: %s (%s)\n", cmd, what, hota_strerror(err), hota_errname(err));
    return cli_exit_code(err);
}

int cli_exit_code(int err)
{
    if (err == HOTA_OK)
        return CLI_EXIT_OK;
    if (err == HOTA_E_TRUNCATED || err == HOTA_E_IMAGE_TRUNCATED)
        return CLI_EXIT_TRUNCATED;
    if (err == HOTA_E_TIMEOUT || err == HOTA_E_NO_BODY_END)
        return CLI_EXIT_TIMEOUT;
    if (err == HOTA_E_POWER_CUT)
        return CLI_EXIT_POWER_CUT;
    if (err == HOTA_E_USAGE || err == HOTA_E_INVALID_ARG)
        return CLI_EXIT_USAGE;
    if (err == HOTA_E_FILE_OPEN || err == HOTA_E_IO)
        return CLI_EXIT_IO;
    if (err >= 20 && err <= 26)
        return CLI_EXIT_CONNECT;
    if (err >= 27 && err < 60)
        return err == HOTA_E_SOCKET || err == HOTA_E_CLOSED ? CLI_EXIT_CONNECT : CLI_EXIT_TLS;
    if (err >= 60 && err < 100)
        return CLI_EXIT_HTTP;
    if (err >= 100 && err < 140)
        return CLI_EXIT_DEVICE;
    if (err >= HOTA_E_SIG_MISSING && err <= HOTA_E_SIGN)
        return CLI_EXIT_SIGNATURE;
    if (err >= 140 && err < 180)
        return CLI_EXIT_IMAGE;
    return CLI_EXIT_ERROR;
}
