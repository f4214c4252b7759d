/* A small JSON writer for --json output: one object, keys in call order. */
#include "cli.h"

#include "hota/error.h"
#include "hota/image.h"

static void sep(cli_json_t *j)
{
    if (!j->first[j->depth])
        fputc(',', j->out);
    j->first[j->depth] = 0;
}

static void put_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

void cli_json_key(cli_json_t *j, const char *key)
{
    sep(j);
    if (key) {
        put_string(j->out, key);
        fputc(':', j->out);
    }
}

static void open_(cli_json_t *j, const char *key, char c)
{
    cli_json_key(j, key);
    fputc(c, j->out);
    if (j->depth < 15)
        j->depth++;
    j->first[j->depth] = 1;
}

static void close_(cli_json_t *j, char c)
{
    fputc(c, j->out);
    if (j->depth > 0)
        j->depth--;
}

void cli_json_begin(cli_json_t *j, FILE *out)
{
    j->out = out;
    j->depth = 0;
    j->first[0] = 1;
    open_(j, NULL, '{');
    j->first[0] = 1;
}

void cli_json_end(cli_json_t *j)
{
    close_(j, '}');
    fputc('\n', j->out);
    fflush(j->out);
}

void cli_json_obj_open(cli_json_t *j, const char *key) { open_(j, key, '{'); }
void cli_json_obj_close(cli_json_t *j) { close_(j, '}'); }
void cli_json_arr_open(cli_json_t *j, const char *key) { open_(j, key, '['); }
void cli_json_arr_close(cli_json_t *j) { close_(j, ']'); }

void cli_json_str(cli_json_t *j, const char *key, const char *v)
{
    cli_json_key(j, key);
    if (v)
        put_string(j->out, v);
    else
        fputs("null", j->out);
}

void cli_json_int(cli_json_t *j, const char *key, long long v)
{
    cli_json_key(j, key);
    fprintf(j->out, "%lld", v);
}

void cli_json_uint(cli_json_t *j, const char *key, unsigned long long v)
{
    cli_json_key(j, key);
    fprintf(j->out, "%llu", v);
}

void cli_json_bool(cli_json_t *j, const char *key, int v)
{
    cli_json_key(j, key);
    fputs(v ? "true" : "false", j->out);
}

void cli_json_null(cli_json_t *j, const char *key)
{
    cli_json_key(j, key);
    fputs("null", j->out);
}

void cli_json_hex(cli_json_t *j, const char *key, const uint8_t *b, size_t n)
{
    cli_json_key(j, key);
    fputc('"', j->out);
    for (size_t i = 0; i < n; i++)
        fprintf(j->out, "%02x", b[i]);
    fputc('"', j->out);
}

void cli_json_result(cli_json_t *j, int err)
{
    cli_json_str(j, "result", err == HOTA_OK ? "ok" : "error");
    cli_json_str(j, "error", err == HOTA_OK ? NULL : hota_errname(err));
}

void cli_json_app_desc(cli_json_t *j, const char *key, const struct hota_app_desc *a)
{
    if (!a) {
        cli_json_null(j, key);
        return;
    }
    cli_json_obj_open(j, key);
    cli_json_str(j, "project_name", a->project_name);
    cli_json_str(j, "version", a->version);
    cli_json_uint(j, "secure_version", a->secure_version);
    cli_json_str(j, "idf_ver", a->idf_ver);
    cli_json_str(j, "date", a->date);
    cli_json_str(j, "time", a->time);
    cli_json_hex(j, "app_elf_sha256", a->app_elf_sha256, sizeof a->app_elf_sha256);
    cli_json_obj_close(j);
}
