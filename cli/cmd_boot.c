/* hota boot / confirm / rollback: a reset of the simulated ESP32 and the app's verdict on
 * itself (esp_ota_mark_app_valid_cancel_rollback / esp_ota_mark_app_invalid_rollback). */
#include "cli.h"

#include "hota/device.h"
#include "hota/error.h"
#include "hota/slot.h"

#include <string.h>

typedef int (*boot_action_fn)(hota_device_t *d, cli_json_t *j, int json);

static int parse(int argc, char **argv, const char **path, int *json)
{
    cli_args_t a;
    const char *opt, *val, *pos;
    *path = NULL;
    *json = 0;
    cli_args_init(&a, argc, argv);
    while (cli_args_next(&a, &opt, &val, &pos)) {
        if (pos && !*path)
            *path = pos;
        else if (opt && !strcmp(opt, "--json") && !val)
            *json = 1;
        else
            return cli_usage_error(argv[0], "usage: hota %s FLASH [--json]", argv[0]);
    }
    if (!*path)
        return cli_usage_error(argv[0], "usage: hota %s FLASH [--json]", argv[0]);
    return CLI_EXIT_OK;
}

/* Report the running (or given) slot: partition label, otadata state, app version. */
static void report_slot(hota_device_t *d, cli_json_t *j, int json, int slot)
{
    hota_image_info_t info;
    uint32_t st = 0;
    int have_state = slot >= 0 && hota_slot_get_state(d, slot, &st) == HOTA_OK;
    int have_app = slot != HOTA_SLOT_NONE && hota_device_verify_slot(d, slot, 0, &info) == HOTA_OK;
    const char *label = slot == HOTA_SLOT_NONE ? NULL : hota_device_slot_name(d, slot);
    const char *state = have_state ? hota_otadata_state_name(st) : NULL;
    const char *version = have_app ? info.app.version : NULL;
    if (json) {
        cli_json_str(j, "partition", label);
        cli_json_str(j, "state", state);
        cli_json_str(j, "version", version);
        if (have_app)
            cli_json_uint(j, "secure_version", info.app.secure_version);
        else
            cli_json_null(j, "secure_version");
        cli_json_uint(j, "efuse_secure_version", d->efuse.secure_version);
        return;
    }
    printf("%s: %s%s%s, version %s\n", label ? label : "nothing", state ? "state " : "",
           state ? state : "", state ? "" : "no otadata state", version ? version : "unknown");
}

static int do_boot(hota_device_t *d, cli_json_t *j, int json)
{
    hota_boot_result_t res;
    int rc = hota_device_boot(d, 1, &res);
    if (rc == HOTA_OK || rc == HOTA_E_NO_BOOTABLE) {
        if (!json)
            printf("boot: ");
        report_slot(d, j, json, rc == HOTA_OK ? res.slot : HOTA_SLOT_NONE);
    }
    return rc;
}

static int do_confirm(hota_device_t *d, cli_json_t *j, int json)
{
    int rc = hota_slot_mark_valid(d);
    if (rc == HOTA_OK) {
        if (!json)
            printf("confirmed: ");
        report_slot(d, j, json, d->efuse.running);
    }
    return rc;
}

static int do_rollback(hota_device_t *d, cli_json_t *j, int json)
{
    int next = HOTA_SLOT_NONE;
    int rc = hota_slot_mark_invalid(d);
    if (rc == HOTA_OK)
        rc = hota_slot_boot_slot(d, &next);
    if (rc != HOTA_OK)
        return rc;
    if (json) {
        cli_json_str(j, "partition", hota_device_slot_name(d, d->efuse.running));
        cli_json_str(j, "next_boot",
                     next == HOTA_SLOT_NONE ? NULL : hota_device_slot_name(d, next));
    } else {
        printf("rolled back: %s marked INVALID, next boot from %s\n",
               hota_device_slot_name(d, d->efuse.running), hota_device_slot_name(d, next));
    }
    return rc;
}

static int run(int argc, char **argv, boot_action_fn fn)
{
    hota_device_t d;
    cli_json_t j;
    const char *path;
    int json, rc = parse(argc, argv, &path, &json);
    if (rc != CLI_EXIT_OK)
        return rc;
    hota_device_init(&d);
    if (json) {
        cli_json_begin(&j, stdout);
        cli_json_str(&j, "command", argv[0]);
    }
    rc = hota_device_open(&d, path);
    if (rc == HOTA_OK)
        rc = fn(&d, &j, json);
    if (json) {
        cli_json_result(&j, rc);
        cli_json_uint(&j, "flash_ops", d.flash.ops_count);
        cli_json_end(&j);
    }
    hota_device_free(&d);
    if (rc != HOTA_OK && !json)
        return cli_fail(argv[0], path, rc);
    return cli_exit_code(rc);
}

int cmd_boot(int argc, char **argv)
{
    return run(argc, argv, do_boot);
}

int cmd_confirm(int argc, char **argv)
{
    return run(argc, argv, do_confirm);
}

int cmd_rollback(int argc, char **argv)
{
    return run(argc, argv, do_rollback);
}
