/* The bootloader's slot choice as a pure function (see bootsim.h for the rules). */
#include "hota/bootsim.h"

#include "hota/error.h"

#include <string.h>

/* What the bootloader does with an entry in each state (rollback enabled). Unknown state
 * values behave like UNDEFINED, as in ESP-IDF, where only INVALID and ABORTED disqualify. */
struct state_rule {
    uint32_t state;
    uint32_t at_reset;    /* state written before the choice (step 1) */
    uint32_t when_chosen; /* state written when this entry is the active one (step 3) */
};

static const struct state_rule rules[] = {
    {HOTA_OTA_STATE_NEW, HOTA_OTA_STATE_NEW, HOTA_OTA_STATE_PENDING_VERIFY},
    {HOTA_OTA_STATE_PENDING_VERIFY, HOTA_OTA_STATE_ABORTED, HOTA_OTA_STATE_PENDING_VERIFY},
    {HOTA_OTA_STATE_VALID, HOTA_OTA_STATE_VALID, HOTA_OTA_STATE_VALID},
    {HOTA_OTA_STATE_INVALID, HOTA_OTA_STATE_INVALID, HOTA_OTA_STATE_INVALID},
    {HOTA_OTA_STATE_ABORTED, HOTA_OTA_STATE_ABORTED, HOTA_OTA_STATE_ABORTED},
    {HOTA_OTA_STATE_UNDEFINED, HOTA_OTA_STATE_UNDEFINED, HOTA_OTA_STATE_UNDEFINED},
};

static const struct state_rule *rule_for(uint32_t state)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (rules[i].state == state)
            return &rules[i];
    return &rules[sizeof rules / sizeof rules[0] - 1];
}

static uint32_t next_state(uint32_t state, int chosen)
{
    const struct state_rule *r = rule_for(state);
    uint32_t n = chosen ? r->when_chosen : r->at_reset;
    return n == r->state ? state : n;
}

static void emit(hota_boot_result_t *out, unsigned copy, const hota_otadata_entry_t *e)
{
    if (out->n_writes < HOTA_BOOT_MAX_WRITES) {
        out->writes[out->n_writes].copy = copy;
        out->writes[out->n_writes].entry = *e;
        out->n_writes++;
    }
    out->after[copy] = *e;
}

static const hota_boot_app_t *app_of(const hota_boot_input_t *in, int slot)
{
    if (slot == HOTA_SLOT_FACTORY)
        return in->has_factory ? &in->factory : NULL;
    if (slot < 0 || (unsigned)slot >= in->n_ota)
        return NULL;
    return &in->ota[slot];
}

/* check_anti_rollback(): the app's secure_version is not below the eFuse counter. */
static int secver_ok(const hota_boot_input_t *in, int slot)
{
    const hota_boot_app_t *a = app_of(in, slot);
    if (!in->anti_rollback)
        return 1;
    return a && a->verifies && a->secure_version >= in->efuse_secure_version;
}

static int bootable(const hota_boot_input_t *in, int slot)
{
    const hota_boot_app_t *a = app_of(in, slot);
    return a && a->verifies && secver_ok(in, slot);
}

/* Step 1: PENDING_VERIFY entries found at reset are aborted. */
static void abort_pending(const hota_boot_input_t *in, hota_boot_result_t *out)
{
    for (unsigned i = 0; i < 2; i++) {
        hota_otadata_entry_t e = out->after[i];
        if (!in->rollback || e.state != HOTA_OTA_STATE_PENDING_VERIFY)
            continue;
        e.state = next_state(e.state, 0);
        emit(out, i, &e);
    }
}

static int initial_contents(const hota_otadata_entry_t e[2])
{
    return !hota_otadata_crc_ok(&e[0]) && !hota_otadata_crc_ok(&e[1]);
}

static int unusable(const hota_otadata_entry_t *e)
{
    return e->seq == UINT32_MAX || e->state == HOTA_OTA_STATE_INVALID ||
           e->state == HOTA_OTA_STATE_ABORTED;
}

static int active_entry(const hota_boot_input_t *in, const hota_otadata_entry_t e[2])
{
    int valid[2];
    for (int i = 0; i < 2; i++) {
        valid[i] = hota_otadata_valid(&e[i]);
        if (valid[i] && in->anti_rollback)
            valid[i] = secver_ok(in, hota_otadata_slot(&e[i], in->n_ota));
    }
    return hota_otadata_select(e, valid);
}

/* Steps 2-3: the start slot; *initial set when otadata holds nothing usable at all. */
static int start_slot(const hota_boot_input_t *in, hota_boot_result_t *out, int *initial)
{
    hota_otadata_entry_t *e = out->after;
    int a, slot;
    *initial = 0;
    if (in->anti_rollback && initial_contents(e)) {
        *initial = 1;
        return HOTA_SLOT_FACTORY;
    }
    if (!in->anti_rollback && ((unusable(&e[0]) && unusable(&e[1])) || in->n_ota == 0)) {
        if (in->has_factory)
            return HOTA_SLOT_FACTORY;
        *initial = initial_contents(e);
        return 0;
    }
    a = active_entry(in, e);
    out->active = a;
    if (a < 0)
        return HOTA_SLOT_FACTORY;
    if (in->rollback && e[a].state == HOTA_OTA_STATE_NEW) {
        hota_otadata_entry_t n = e[a];
        n.state = next_state(n.state, 1);
        emit(out, (unsigned)a, &n);
    }
    slot = hota_otadata_slot(&e[a], in->n_ota); /* -1 (factory) when there are no OTA slots */
    if (in->anti_rollback && e[a].state == HOTA_OTA_STATE_VALID && slot >= 0)
        out->new_secure_version = in->ota[slot].secure_version;
    return slot;
}

/* Step 4: bootloader_utility_load_boot_image's walk. */
static int walk(const hota_boot_input_t *in, int start)
{
    for (int s = start; s >= HOTA_SLOT_FACTORY; s--)
        if (bootable(in, s))
            return s;
    for (int s = start + 1; s < (int)in->n_ota; s++)
        if (bootable(in, s))
            return s;
    return HOTA_SLOT_NONE;
}

/* set_actual_ota_seq(): record the slot booted from initial otadata. */
static void set_actual(const hota_boot_input_t *in, hota_boot_result_t *out, int slot)
{
    hota_otadata_entry_t e;
    hota_otadata_make(&e, (uint32_t)slot + 1u, HOTA_OTA_STATE_VALID);
    emit(out, 0, &e);
    if (in->anti_rollback)
        out->new_secure_version = in->ota[slot].secure_version;
}

int hota_boot_decide(const hota_boot_input_t *in, hota_boot_result_t *out)
{
    int initial, start;
    memset(out, 0, sizeof *out);
    out->slot = HOTA_SLOT_NONE;
    out->active = -1;
    if (in->n_ota > HOTA_OTA_MAX_SLOTS)
        return HOTA_E_INVALID_ARG;
    out->after[0] = in->entry[0];
    out->after[1] = in->entry[1];
    out->new_secure_version = in->efuse_secure_version;
    abort_pending(in, out);
    start = start_slot(in, out, &initial);
    out->slot = walk(in, start);
    if (out->slot == HOTA_SLOT_NONE)
        return HOTA_E_NO_BOOTABLE;
    if (initial && out->slot >= 0)
        set_actual(in, out, out->slot);
    if (out->slot != start && !(initial && out->slot >= 0))
        out->new_secure_version = in->efuse_secure_version;
    out->raise_secure_version = in->anti_rollback &&
                                out->new_secure_version > in->efuse_secure_version;
    if (!out->raise_secure_version)
        out->new_secure_version = in->efuse_secure_version;
    return HOTA_OK;
}
