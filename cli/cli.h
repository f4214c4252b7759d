/* Shared pieces of the hota CLI: command table, option parsing, JSON output, exit codes. */
#ifndef HOTA_CLI_H
#define HOTA_CLI_H

#include <stdint.h>
#include <stdio.h>

/* Exit codes (documented in README.md and `hota help`). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_ERROR = 1,      /* any other failure */
    CLI_EXIT_USAGE = 2,      /* bad command line */
    CLI_EXIT_TRUNCATED = 3,  /* body or image incomplete */
    CLI_EXIT_TIMEOUT = 4,    /* a timeout fired */
    CLI_EXIT_TLS = 5,        /* TLS handshake / certificate problem */
    CLI_EXIT_HTTP = 6,       /* HTTP status, protocol or redirect problem */
    CLI_EXIT_CONNECT = 7,    /* resolve / connect / reset */
    CLI_EXIT_IMAGE = 8,      /* image refused (format, checksum, hash, chip, version) */
    CLI_EXIT_SIGNATURE = 9,  /* signature missing, invalid or untrusted */
    CLI_EXIT_DEVICE = 10,    /* flash, partition table, otadata, boot */
    CLI_EXIT_IO = 11,        /* local file error */
    CLI_EXIT_POWER_CUT = 99, /* injected power loss (HOTA_FLASH_FAULT) */
};

/** Map a hota error code to the CLI's exit code. */
int cli_exit_code(int err);

/* One subcommand: `hota NAME args...`; argv[0] is NAME. */
typedef int (*cli_cmd_fn)(int argc, char **argv);
#define CLI_CMD(name, fn, help) int fn(int argc, char **argv);
#include "commands.def"
#undef CLI_CMD
#define IMAGE_CMD(name, fn, help) int fn(int argc, char **argv);
#include "image_cmds.def"
#undef IMAGE_CMD

/* Option parsing: long options only, `--name value` or `--name=value`. */
typedef struct cli_args {
    int argc;
    char **argv;
    int i;             /* next argument */
    const char *cmd;   /* for error messages */
} cli_args_t;

void cli_args_init(cli_args_t *a, int argc, char **argv);
/* Next token: returns 1 with *opt set to "--x" (value in *val if given with '=') or a
 * positional in *pos; 0 at the end. */
int cli_args_next(cli_args_t *a, const char **opt, const char **val, const char **pos);
/* Value of the option just returned: the '=' part or the next argument. NULL (and a usage
 * message) when missing. */
const char *cli_args_value(cli_args_t *a, const char *opt, const char *val);
/* Parse an unsigned number with optional K/M/KB/MB/KiB/MiB suffix (1024-based). */
int cli_parse_size(const char *s, uint64_t *out);
/* Print "hota CMD: msg" to stderr and return CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "hota CMD: <what>: <strerror> (NAME)" and return the mapped exit code. */
int cli_fail(const char *cmd, const char *what, int err);

/* Minimal streaming JSON writer onto a FILE. */
typedef struct cli_json {
    FILE *out;
    int depth;
    int first[16];
} cli_json_t;

void cli_json_begin(cli_json_t *j, FILE *out);          /* writes "{" */
void cli_json_end(cli_json_t *j);                        /* writes "}\n" */
void cli_json_key(cli_json_t *j, const char *key);      /* inside an object */
void cli_json_str(cli_json_t *j, const char *key, const char *v);     /* NULL -> null */
void cli_json_int(cli_json_t *j, const char *key, long long v);
void cli_json_uint(cli_json_t *j, const char *key, unsigned long long v);
void cli_json_bool(cli_json_t *j, const char *key, int v);
void cli_json_null(cli_json_t *j, const char *key);
void cli_json_hex(cli_json_t *j, const char *key, const uint8_t *b, size_t n);
void cli_json_obj_open(cli_json_t *j, const char *key); /* key NULL inside arrays */
void cli_json_obj_close(cli_json_t *j);
void cli_json_arr_open(cli_json_t *j, const char *key);
void cli_json_arr_close(cli_json_t *j);
/* "key": the app description object (project_name, version, secure_version, idf_ver, date,
 * time, app_elf_sha256), or null when a is NULL. */
struct hota_app_desc;
void cli_json_app_desc(cli_json_t *j, const char *key, const struct hota_app_desc *a);
/* Standard error fields: "result" ("ok"|"error") and "error" (name or null). */
void cli_json_result(cli_json_t *j, int err);

#endif
