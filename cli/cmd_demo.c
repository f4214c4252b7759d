/* hota demo: a whole HTTPS OTA update of a simulated ESP32 against `hota serve` in the mode of
 * `openssl s_server -WWW`, made from nothing: signing key, signed images, certificates, device,
 * server, update, boot, confirm, boot. See docs/internals/demo.md. */
#include "cli.h"

#include "hota/alloc.h"
#include "hota/device.h"
#include "hota/error.h"
#include "hota/image_create.h"
#include "hota/ota.h"
#include "hota/file.h"
#include "hota/pki.h"
#include "hota/port.h"
#include "hota/process.h"
#include "hota/sbv2.h"
#include "hota/slot.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DEMO_PATH_CAP 1024
#define DEMO_FLASH_SIZE (4u * 1024u * 1024u)
#define DEMO_PROJECT "hota-demo"
#define DEMO_V1 "1.0.0"
#define DEMO_V2 "2.0.0"
#define DEMO_SECTOR 4096u
#define DEMO_PEM_CAP 800
#define SERVER_START_MS 5000u  /* until `hota serve` says where it listens */
#define SERVER_END_MS 3000u    /* until it exits after its one connection */
#define SERVER_WAIT_MS "5000"  /* its bound on every wait (our request, our close_notify) */
#define CLIENT_TIMEOUT_MS 5000u
#define STATUS_CAP 4096u
#define FIELD_CAP 64u
#define DEMO_MISMATCH HOTA_E_BAD_STATE /* a step ran but did not give the expected result */

/* Every file a run makes, relative to its directory. All are removed at the end (unless
 * --keep); a directory given with --dir is otherwise left as it was. */
enum {
    F_KEY, F_PUB, F_FACTORY, F_UPDATE, F_CA, F_CA_KEY, F_CERT, F_CERT_KEY,
    F_FLASH, F_EFUSE, F_PROGRESS, F_STATUS, F_COUNT
};
static const char *const file_names[F_COUNT] = {
    "signing-key.pem", "signing-key.pub.pem", "factory-" DEMO_V1 ".bin",
    "www/app-" DEMO_V2 ".bin", HOTA_PKI_CA_CERT, HOTA_PKI_CA_KEY, HOTA_PKI_SERVER_CERT,
    HOTA_PKI_SERVER_KEY, "flash.bin", "flash.bin" HOTA_EFUSE_SUFFIX,
    "flash.bin" HOTA_OTA_PROGRESS_SUFFIX, "serve-status.jsonl",
};

typedef struct demo {
    const char *dir_opt;
    int keep;
    int made_dir, made_www;
    int have_paths;        /* path[] and www are set */
    char dir[DEMO_PATH_CAP];
    char www[DEMO_PATH_CAP];
    char path[F_COUNT][DEMO_PATH_CAP];
    char url[128];
    uint8_t key_digest[32];
    uint32_t update_size;
    hota_proc_t srv;
    hota_device_t dev;
    hota_ota_t *h;
    hota_ota_stats_t st;
    unsigned writes;       /* WRITE_FLASH events not yet printed */
    uint64_t written;      /* bytes the last one reported */
    uint64_t t0_ms;
    int step;
} demo_t;

/* ------------------------------------------------------------------------------- output */

__attribute__((format(printf, 3, 4))) static void say(demo_t *d, const char *what,
                                                      const char *fmt, ...)
{
    va_list ap;
    printf("[%2d] %-9s ", ++d->step, what);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

__attribute__((format(printf, 1, 2))) static void more(const char *fmt, ...)
{
    va_list ap;
    printf("               ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void hex8(char out[17], const uint8_t *b)
{
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* ------------------------------------------------------------------------------- files */

static int set_paths(demo_t *d)
{
    int n = snprintf(d->www, sizeof d->www, "%s/www", d->dir);
    if (n < 0 || (size_t)n >= sizeof d->www)
        return HOTA_E_BUFFER_TOO_SMALL;
    for (int i = 0; i < F_COUNT; i++) {
        n = snprintf(d->path[i], sizeof d->path[i], "%s/%s", d->dir, file_names[i]);
        if (n < 0 || (size_t)n >= sizeof d->path[i])
            return HOTA_E_BUFFER_TOO_SMALL;
    }
    return HOTA_OK;
}

static int remove_files(demo_t *d)
{
    int rc = HOTA_OK;
    for (int i = 0; i < F_COUNT; i++)
        if (hota_pfile_remove(d->path[i]) != HOTA_OK)
            rc = HOTA_E_IO;
    return rc;
}

static int prepare_dir(demo_t *d)
{
    int rc;
    if (d->dir_opt) {
        if (strlen(d->dir_opt) >= sizeof d->dir)
            return HOTA_E_BUFFER_TOO_SMALL;
        snprintf(d->dir, sizeof d->dir, "%s", d->dir_opt);
        rc = hota_dir_make(d->dir, &d->made_dir);
    } else {
        rc = hota_dir_make_temp(d->dir, sizeof d->dir, "hota-demo");
        d->made_dir = rc == HOTA_OK;
    }
    if (rc == HOTA_OK)
        rc = set_paths(d);
    d->have_paths = rc == HOTA_OK;
    if (rc == HOTA_OK)
        rc = hota_dir_make(d->www, &d->made_www);
    return rc == HOTA_OK ? remove_files(d) : rc;
}

static void cleanup_dir(demo_t *d)
{
    int rc = d->have_paths ? remove_files(d) : HOTA_OK;
    if (rc == HOTA_OK && d->made_www)
        rc = hota_dir_remove(d->www);
    if (rc == HOTA_OK && d->made_dir)
        rc = hota_dir_remove(d->dir);
    if (rc != HOTA_OK)
        fprintf(stderr, "hota demo: could not remove everything in %s (%s)\n", d->dir,
                hota_errname(rc));
}

/* ------------------------------------------------------------------------------- step 1: key */

static int entropy_cb(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    return hota_entropy(buf, len) == HOTA_OK ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

/* A new ECDSA P-256 key: the private key and its public half as PEM files. */
static int write_key_pair(const char *priv_path, const char *pub_path)
{
    static const unsigned char pers[] = "hota-demo-signing-key";
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_context pk;
    unsigned char pem[DEMO_PEM_CAP];
    int rc = HOTA_E_IO;
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_pk_init(&pk);
    if (mbedtls_ctr_drbg_seed(&drbg, entropy_cb, NULL, pers, sizeof pers - 1) != 0)
        goto out;
    rc = HOTA_E_KEY;
    if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
        mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), mbedtls_ctr_drbg_random,
                            &drbg) != 0 ||
        mbedtls_pk_write_key_pem(&pk, pem, sizeof pem) != 0)
        goto out;
    rc = hota_pfile_replace(priv_path, pem, strlen((const char *)pem), 1);
    if (rc != HOTA_OK)
        goto out;
    rc = HOTA_E_KEY;
    if (mbedtls_pk_write_pubkey_pem(&pk, pem, sizeof pem) == 0)
        rc = hota_pfile_replace(pub_path, pem, strlen((const char *)pem), 1);
out:
    mbedtls_platform_zeroize(pem, sizeof pem);
    mbedtls_pk_free(&pk);
    mbedtls_ctr_drbg_free(&drbg);
    return rc;
}

static int step_key(demo_t *d)
{
    hota_sig_scheme_t scheme = HOTA_SIG_NONE;
    char hex[17];
    int rc = write_key_pair(d->path[F_KEY], d->path[F_PUB]);
    if (rc == HOTA_OK)
        rc = hota_sbv2_key_digest_file(d->path[F_PUB], d->key_digest, &scheme);
    if (rc != HOTA_OK)
        return rc;
    hex8(hex, d->key_digest);
    say(d, "key", "Secure Boot V2 signing key: %s, public-key digest %s...",
        hota_sig_scheme_name(scheme), hex);
    return scheme == HOTA_SIG_ECDSA256 ? HOTA_OK : DEMO_MISMATCH;
}

/* ------------------------------------------------------------------------------- step 2: images */

/* Create an app image of `version`, pad it with 0xFF to a 4 KiB boundary, append the signature
 * sector and write the whole into path. */
static int make_signed_image(demo_t *d, const char *version, const char *path, uint32_t *size)
{
    const char *keys[1] = {d->path[F_KEY]};
    hota_image_create_params_t p;
    uint8_t *buf;
    uint32_t sz, padded;
    size_t len = 0;
    int rc;
    hota_image_create_defaults(&p);
    p.project = DEMO_PROJECT;
    p.version = version;
    if ((rc = hota_image_create_size(&p, &sz)) != HOTA_OK)
        return rc;
    padded = (sz + DEMO_SECTOR - 1u) / DEMO_SECTOR * DEMO_SECTOR;
    if (!(buf = hota_calloc(1, (size_t)padded + HOTA_SBV2_SECTOR_SIZE)))
        return HOTA_E_NO_MEMORY;
    memset(buf, 0xFF, padded);
    rc = hota_image_create_buffer(&p, buf, padded, &len, NULL);
    if (rc == HOTA_OK)
        rc = hota_sbv2_sign_image(buf, len, keys, 1, buf + padded);
    if (rc == HOTA_OK)
        rc = hota_pfile_replace(path, buf, (size_t)padded + HOTA_SBV2_SECTOR_SIZE, 1);
    *size = padded + HOTA_SBV2_SECTOR_SIZE;
    hota_free(buf);
    return rc;
}

static int step_images(demo_t *d)
{
    uint32_t factory_size = 0;
    int rc = make_signed_image(d, DEMO_V1, d->path[F_FACTORY], &factory_size);
    if (rc == HOTA_OK)
        rc = make_signed_image(d, DEMO_V2, d->path[F_UPDATE], &d->update_size);
    if (rc != HOTA_OK)
        return rc;
    say(d, "images", "%s v%s (factory, %u bytes) and v%s (update, %u bytes), signed",
        DEMO_PROJECT, DEMO_V1, (unsigned)factory_size, DEMO_V2, (unsigned)d->update_size);
    return HOTA_OK;
}

/* ------------------------------------------------------------------------------- step 3: PKI */

static int step_pki(demo_t *d)
{
    int rc = hota_pki_make_localhost(d->dir);
    if (rc != HOTA_OK)
        return rc;
    say(d, "pki", "CA %s, server certificate %s for localhost and 127.0.0.1 (EC P-256)",
        HOTA_PKI_CA_CERT, HOTA_PKI_SERVER_CERT);
    return HOTA_OK;
}

/* ------------------------------------------------------------------------------- step 4: device */

/* Raw write of the factory image into the factory partition, as esptool would flash it. */
static int flash_factory(demo_t *d, const hota_partition_t *p)
{
    uint8_t buf[DEMO_SECTOR];
    uint64_t size = 0, off = 0;
    size_t n = 0;
    int fd = -1;
    int rc = hota_pfile_open(&fd, d->path[F_FACTORY], &size, NULL);
    if (rc == HOTA_OK && size > p->size)
        rc = HOTA_E_IMAGE_TOO_LARGE;
    if (rc == HOTA_OK)
        rc = hota_flash_erase(&d->dev.flash, p->offset,
                              (uint32_t)((size + DEMO_SECTOR - 1) / DEMO_SECTOR * DEMO_SECTOR));
    while (rc == HOTA_OK && off < size &&
           (rc = hota_pfile_pread(fd, off, buf, sizeof buf, &n)) == HOTA_OK && n > 0) {
        rc = hota_flash_write(&d->dev.flash, p->offset + (uint32_t)off, buf, n);
        off += n;
    }
    if (rc == HOTA_OK && off != size)
        rc = HOTA_E_IO;
    hota_pfile_close(&fd);
    return rc;
}

static int create_device(demo_t *d)
{
    hota_part_table_t *t = hota_calloc(1, sizeof *t);
    hota_efuse_t e;
    int rc = t ? HOTA_OK : HOTA_E_NO_MEMORY;
    hota_efuse_init(&e);
    e.flags |= HOTA_EFUSE_SECURE_BOOT | HOTA_EFUSE_ROLLBACK;
    e.key_count = 1;
    memcpy(e.key_digest[0], d->key_digest, sizeof e.key_digest[0]);
    if (rc == HOTA_OK)
        rc = hota_part_from_csv(hota_part_csv_two_ota, strlen(hota_part_csv_two_ota),
                                DEMO_FLASH_SIZE, t);
    if (rc == HOTA_OK)
        rc = hota_device_create(&d->dev, d->path[F_FLASH], DEMO_FLASH_SIZE, t, &e);
    hota_free(t);
    return rc;
}

static int step_device(demo_t *d)
{
    const hota_partition_t *fp;
    hota_image_info_t info;
    int rc = create_device(d);
    if (rc != HOTA_OK)
        return rc;
    if (!(fp = hota_device_slot_part(&d->dev, HOTA_SLOT_FACTORY)) || d->dev.n_ota != 2)
        return DEMO_MISMATCH;
    if ((rc = flash_factory(d, fp)) != HOTA_OK ||
        (rc = hota_device_verify_slot(&d->dev, HOTA_SLOT_FACTORY, 0, &info)) != HOTA_OK)
        return rc;
    say(d, "device", "4 MB flash, two-ota table (factory, ota_0, ota_1), factory app v%s",
        info.app.version);
    more("eFuse: Secure Boot V2 trusts the key digest, rollback enabled");
    return HOTA_OK;
}

/* ------------------------------------------------------------------------------- boots */

/* Report the running slot; 0 when it is `want_label` in `want_state` with `want_version`. */
static int report_running(demo_t *d, const char *what, uint64_t ops, const char *want_label,
                          const char *want_state, const char *want_version)
{
    hota_image_info_t info;
    uint32_t st = 0;
    int slot = d->dev.efuse.running;
    const char *label = hota_device_slot_name(&d->dev, slot);
    const char *state = "none";
    const char *version = "unknown";
    if (slot >= 0 && hota_slot_get_state(&d->dev, slot, &st) == HOTA_OK)
        state = hota_otadata_state_name(st);
    if (slot != HOTA_SLOT_NONE && hota_device_verify_slot(&d->dev, slot, 0, &info) == HOTA_OK)
        version = info.app.version;
    say(d, what, "partition %s, state %s, version %s (flash_ops %llu)", label, state, version,
        (unsigned long long)(d->dev.flash.ops_count - ops));
    if (strcmp(label, want_label) || strcmp(state, want_state) || strcmp(version, want_version)) {
        fprintf(stderr, "hota demo: expected %s, state %s, version %s\n", want_label,
                want_state, want_version);
        return DEMO_MISMATCH;
    }
    return HOTA_OK;
}

static int boot(demo_t *d, const char *label, const char *state, const char *version)
{
    hota_boot_result_t res;
    uint64_t ops = d->dev.flash.ops_count;
    int rc = hota_device_boot(&d->dev, 1, &res);
    if (rc != HOTA_OK)
        return rc;
    return report_running(d, "boot", ops, label, state, version);
}

static int step_first_boot(demo_t *d)
{
    return boot(d, "factory", "none", DEMO_V1);
}

static int step_boot_pending(demo_t *d)
{
    return boot(d, "ota_0", "PENDING_VERIFY", DEMO_V2);
}

static int step_confirm(demo_t *d)
{
    uint64_t ops = d->dev.flash.ops_count;
    int rc = hota_slot_mark_valid(&d->dev);
    if (rc != HOTA_OK)
        return rc;
    return report_running(d, "confirm", ops, "ota_0", "VALID", DEMO_V2);
}

static int step_boot_valid(demo_t *d)
{
    return boot(d, "ota_0", "VALID", DEMO_V2);
}

/* ------------------------------------------------------------------------------- server */

static int step_server(demo_t *d)
{
    const char *argv[] = {"hota", "serve", d->www, "--port", "0", "--bind", "127.0.0.1",
                          "--cert", d->path[F_CERT], "--key", d->path[F_CERT_KEY],
                          "--framing", "close", "--end", "close_notify", "--once",
                          "--hold-timeout", SERVER_WAIT_MS, "--io-timeout", SERVER_WAIT_MS,
                          "--status-file", d->path[F_STATUS], NULL};
    char line[128];
    unsigned port = 0;
    int rc = hota_proc_spawn_self(&d->srv, argv);
    if (rc == HOTA_OK)
        rc = hota_proc_read_line(&d->srv, line, sizeof line, SERVER_START_MS);
    if (rc != HOTA_OK)
        return rc;
    if (sscanf(line, "listening on %u", &port) != 1 || port == 0 || port > 65535)
        return DEMO_MISMATCH;
    snprintf(d->url, sizeof d->url, "https://localhost:%u/app-%s.bin", port, DEMO_V2);
    say(d, "server", "hota serve (pid %d) on 127.0.0.1:%u, like `openssl s_server -WWW`:",
        d->srv.pid, port);
    more("HTTP/1.0, no Content-Length (framing close), body ended by close_notify,");
    more("then TCP held open until the client's close_notify (the case that hung ESP-IDF)");
    return HOTA_OK;
}

/* The text of "key": in a one-line JSON object (strings without their quotes). */
static int json_field(const char *js, const char *key, char out[FIELD_CAP])
{
    char pat[FIELD_CAP + 4];
    const char *v;
    size_t n;
    snprintf(pat, sizeof pat, "\"%s\":", key);
    if (!(v = strstr(js, pat)))
        return 0;
    v += strlen(pat);
    if (*v == '"')
        n = strcspn(++v, "\"");
    else
        n = strcspn(v, ",}");
    if (n >= FIELD_CAP)
        n = FIELD_CAP - 1;
    memcpy(out, v, n);
    out[n] = 0;
    return 1;
}

static int step_server_report(demo_t *d)
{
    char js[STATUS_CAP + 1], ended[FIELD_CAP], peer_cn[FIELD_CAP], body[FIELD_CAP];
    char own_cn[FIELD_CAP];
    size_t len = 0;
    int rc = hota_proc_wait(&d->srv, SERVER_END_MS);
    if (rc == HOTA_OK)
        rc = hota_pfile_load(d->path[F_STATUS], js, STATUS_CAP, &len);
    if (rc != HOTA_OK)
        return rc;
    js[len] = 0;
    if (!json_field(js, "ended", ended) || !json_field(js, "peer_close_notify", peer_cn) ||
        !json_field(js, "body_bytes", body) || !json_field(js, "close_notify_sent", own_cn))
        return DEMO_MISMATCH;
    say(d, "server", "exited %d after one connection; its status file says:", d->srv.exit_code);
    more("body %s bytes; its close_notify sent: %s; our close_notify arrived: %s", body,
         strcmp(own_cn, "true") ? "NO" : "yes", strcmp(peer_cn, "true") ? "NO" : "yes");
    more("connection ended: %s", ended);
    if (d->srv.exit_code != 0 || strcmp(own_cn, "true") || strcmp(peer_cn, "true") ||
        strcmp(ended, "close_notify_exchanged"))
        return DEMO_MISMATCH;
    return HOTA_OK;
}

/* ------------------------------------------------------------------------------- update */

static void flush_writes(demo_t *d)
{
    if (d->writes)
        more("  WRITE_FLASH x%u, %llu bytes written", d->writes,
             (unsigned long long)d->written);
    d->writes = 0;
}

static void on_event(void *user, hota_ota_event_t ev, const void *data)
{
    demo_t *d = user;
    const hota_http_resp_t *r = data;
    const hota_app_desc_t *a = data;
    if (ev == HOTA_OTA_EVENT_WRITE_FLASH) {
        d->writes++;
        d->written = *(const uint64_t *)data;
        return;
    }
    flush_writes(d);
    if (ev == HOTA_OTA_EVENT_CONNECTED && r)
        more("  CONNECTED HTTP/%d.%d %d, framing %s", r->http_major, r->http_minor, r->status,
             hota_http_framing_name(r->framing));
    else if (ev == HOTA_OTA_EVENT_GET_IMG_DESC)
        more("  GET_IMG_DESC %s %s, secure_version %u", a->project_name, a->version,
             (unsigned)a->secure_version);
    else if (ev == HOTA_OTA_EVENT_VERIFY_CHIP_ID)
        more("  VERIFY_CHIP_ID %u (ESP32)", (unsigned)*(const uint16_t *)data);
    else if (ev == HOTA_OTA_EVENT_UPDATE_BOOT_PARTITION)
        more("  UPDATE_BOOT_PARTITION %s", hota_device_slot_name(&d->dev, *(const int *)data));
    else if (ev == HOTA_OTA_EVENT_ABORT)
        more("  ABORT %s", hota_errname(*(const int *)data));
    else
        more("  %s", hota_ota_event_name(ev));
}

/* A few words on how the download ended (stats.end). */
static const char *end_note(const char *end)
{
    if (!strcmp(end, "image"))
        return " (complete, reading stopped)";
    if (!strcmp(end, "close_notify"))
        return " (the server's close_notify)";
    return "";
}

static int run_update(demo_t *d)
{
    hota_ota_cfg_t cfg;
    int rc;
    hota_ota_cfg_init(&cfg);
    cfg.http.url = d->url;
    cfg.http.tls.ca_file = d->path[F_CA];
    cfg.http.connect_timeout_ms = CLIENT_TIMEOUT_MS;
    cfg.http.io_timeout_ms = CLIENT_TIMEOUT_MS;
    cfg.device = &d->dev;
    cfg.max_retries = -1; /* one connection: `hota serve --once` takes no second one */
    cfg.event_cb = on_event;
    cfg.user = d;
    rc = hota_ota_begin(&cfg, d->h);
    if (rc != HOTA_OK)
        return rc;
    do
        rc = hota_ota_perform(d->h);
    while (rc == HOTA_E_IN_PROGRESS);
    if (rc == HOTA_OK)
        rc = hota_ota_finish(d->h);
    else
        hota_ota_abort(d->h);
    flush_writes(d);
    hota_ota_get_stats(d->h, &d->st);
    return rc;
}

static int step_update(demo_t *d)
{
    const hota_ota_stats_t *s = &d->st;
    int rc;
    say(d, "update", "%s, trusting %s", d->url, HOTA_PKI_CA_CERT);
    more("hota_ota_begin / hota_ota_perform... / hota_ota_finish, events:");
    rc = run_update(d);
    if (rc != HOTA_OK) {
        more("update FAILED: %s (%s)", hota_strerror(rc), hota_errname(rc));
        return rc;
    }
    more("update ok: %llu bytes, framing %s, body ended by: %s%s", (unsigned long long)s->bytes,
         s->framing, s->end, end_note(s->end));
    more("tail_ms %llu, elapsed %llu ms, %u request(s), %u connection(s), %u handshake(s),",
         (unsigned long long)s->tail_ms, (unsigned long long)s->elapsed_ms, s->requests,
         s->connections, s->handshakes);
    more("flash_ops %llu; %s holds v%s, selected for the next boot",
         (unsigned long long)s->flash_ops, s->partition, s->version);
    if (s->bytes != d->update_size || strcmp(s->version, DEMO_V2))
        return DEMO_MISMATCH;
    return HOTA_OK;
}

/* ------------------------------------------------------------------------------- command */

typedef int (*demo_step_fn)(demo_t *d);

static const demo_step_fn steps[] = {
    step_key,    step_images,        step_pki,          step_device,
    step_first_boot, step_server,    step_update,       step_server_report,
    step_boot_pending, step_confirm, step_boot_valid,
};

static int parse(demo_t *d, int argc, char **argv)
{
    cli_args_t a;
    const char *opt, *val, *pos;
    cli_args_init(&a, argc, argv);
    while (cli_args_next(&a, &opt, &val, &pos)) {
        if (pos)
            return cli_usage_error("demo", "unexpected argument '%s'", pos);
        if (!strcmp(opt, "--keep") && !val) {
            d->keep = 1;
        } else if (!strcmp(opt, "--dir")) {
            if (!(d->dir_opt = cli_args_value(&a, opt, val)))
                return CLI_EXIT_USAGE;
        } else if (!strcmp(opt, "--help")) {
            printf("usage: hota demo [--dir DIR] [--keep]\n"
                   "A whole HTTPS OTA update against a local `hota serve`, made from nothing.\n"
                   "--dir DIR  work in DIR (made when missing) instead of a new temporary one\n"
                   "--keep     keep the files (device flash, images, keys, certificates)\n");
            return -1;
        } else {
            return cli_usage_error("demo", "unknown option %s (usage: hota demo [--dir DIR] "
                                           "[--keep])", opt);
        }
    }
    return CLI_EXIT_OK;
}

static int run_steps(demo_t *d)
{
    int rc = HOTA_OK;
    printf("hota demo: HTTPS OTA update of a simulated ESP32, working in %s\n", d->dir);
    for (size_t i = 0; rc == HOTA_OK && i < sizeof steps / sizeof steps[0]; i++)
        rc = steps[i](d);
    return rc;
}

static void finish_line(demo_t *d, int rc)
{
    double secs = (double)(hota_now_ms() - d->t0_ms) / 1000.0;
    if (rc != HOTA_OK) {
        fprintf(stderr, "hota demo: FAILED after step %d: %s (%s)\n", d->step,
                hota_strerror(rc), hota_errname(rc));
        return;
    }
    printf("demo ok in %.1f s: v%s installed over HTTPS, booted and confirmed on ota_0\n", secs,
           DEMO_V2);
    if (d->keep)
        printf("files kept in %s (try: hota flash info %s)\n", d->dir, d->path[F_FLASH]);
}

int cmd_demo(int argc, char **argv)
{
    demo_t *d = hota_calloc(1, sizeof *d);
    int rc;
    if (!d || !(d->h = hota_calloc(1, sizeof *d->h))) {
        hota_free(d);
        return cli_fail("demo", "allocation", HOTA_E_NO_MEMORY);
    }
    d->t0_ms = hota_now_ms();
    hota_proc_init(&d->srv);
    hota_device_init(&d->dev);
    rc = parse(d, argc, argv);
    if (rc == CLI_EXIT_OK) {
        rc = prepare_dir(d);
        if (rc == HOTA_OK)
            rc = run_steps(d);
        hota_proc_free(&d->srv);
        hota_device_free(&d->dev);
        finish_line(d, rc);
        if (!d->keep && (d->have_paths || d->made_dir))
            cleanup_dir(d);
        rc = cli_exit_code(rc);
    }
    hota_free(d->h);
    hota_free(d);
    return rc < 0 ? CLI_EXIT_OK : rc;
}
