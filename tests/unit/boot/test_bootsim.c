/* The bootloader's choice: hand-checked rows, then every combination of the two otadata
 * entries' seq / state / CRC against a reference model written from the rules in
 * docs/internals/device.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hota/bootsim.h"
#include "hota/error.h"

#define NEW HOTA_OTA_STATE_NEW
#define PV HOTA_OTA_STATE_PENDING_VERIFY
#define VAL HOTA_OTA_STATE_VALID
#define INV HOTA_OTA_STATE_INVALID
#define ABO HOTA_OTA_STATE_ABORTED
#define UND HOTA_OTA_STATE_UNDEFINED
#define BLANK 0xFFFFFFFFu
#define F HOTA_SLOT_FACTORY
#define NONE HOTA_SLOT_NONE

/* One entry: seq (BLANK = erased), state, crc_ok. */
struct ent {
    uint32_t seq, state;
    int crc_ok;
};

struct row {
    struct ent e[2];
    int has_factory, rollback, anti_rollback;
    unsigned n_ota;
    unsigned verify_mask;   /* bit 0 factory, bit 1+i ota_i */
    uint32_t efuse_secver;
    uint32_t secver[3];     /* factory, ota_0, ota_1 */
    int want_rc, want_slot;
    uint32_t want_state[2]; /* otadata states after the boot */
    unsigned want_writes;
    uint32_t want_efuse;
};

static void make_entry(hota_otadata_entry_t *o, const struct ent *e)
{
    if (e->seq == BLANK) {
        memset(o, 0xFF, sizeof *o);
        return;
    }
    hota_otadata_make(o, e->seq, e->state);
    if (!e->crc_ok)
        o->crc ^= 0x5A5A5A5Au;
}

static void build(const struct row *r, hota_boot_input_t *in)
{
    memset(in, 0, sizeof *in);
    make_entry(&in->entry[0], &r->e[0]);
    make_entry(&in->entry[1], &r->e[1]);
    in->n_ota = r->n_ota;
    in->has_factory = r->has_factory;
    in->rollback = r->rollback;
    in->anti_rollback = r->anti_rollback;
    in->efuse_secure_version = r->efuse_secver;
    in->factory.verifies = r->verify_mask & 1u;
    in->factory.secure_version = r->secver[0];
    for (unsigned i = 0; i < r->n_ota && i < 2; i++) {
        in->ota[i].verifies = (r->verify_mask >> (i + 1)) & 1u;
        in->ota[i].secure_version = r->secver[i + 1];
    }
    for (unsigned i = 2; i < r->n_ota; i++)
        in->ota[i].verifies = (r->verify_mask >> (i + 1)) & 1u;
}

#define ALL 0xFFu
/* clang-format off */
static const struct row rows[] = {
    /* e0               e1                fac rb ar n  verify efuse secver   rc slot  after-states  writes efuse */
    {{{BLANK,UND,1},{BLANK,UND,1}},        1, 1, 0, 2, ALL, 0, {0,0,0}, HOTA_OK, F, {UND,UND}, 0, 0},
    {{{BLANK,UND,1},{BLANK,UND,1}},        0, 1, 0, 2, ALL, 0, {0,0,0}, HOTA_OK, 0, {VAL,UND}, 1, 0},
    {{{1,NEW,1},{BLANK,UND,1}},            1, 1, 0, 2, ALL, 0, {0,0,0}, HOTA_OK, 0, {PV,UND}, 1, 0},
    {{{1,PV,1},{BLANK,UND,1}},             1, 1, 0, 2, ALL, 0, {0,0,0}, HOTA_OK, F, {ABO,UND}, 1, 0},
    {{{1,VAL,1},{2,NEW,1}},                1, 1, 0, 2, ALL, 0, {0,0,0}, HOTA_OK, 1, {VAL,PV}, 1, 0},
    {{{1,VAL,1},{2,PV,1}},                 1, 1, 0, 2, ALL, 0, {0,0,0}, HOTA_OK, 0, {VAL,ABO}, 1, 0},
    {{{1,VAL,1},{2,INV,1}},                1, 1, 0, 2, ALL, 0, {0,0,0}, HOTA_OK, 0, {VAL,INV}, 0, 0},
    {{{1,VAL,1},{2,NEW,0}},                1, 1, 0, 2, ALL, 0, {0,0,0}, HOTA_OK, 0, {VAL,NEW}, 0, 0},
    {{{1,VAL,1},{2,VAL,1}},                1, 1, 0, 2, 0x3, 0, {0,0,0}, HOTA_OK, 0, {VAL,VAL}, 0, 0},
    {{{1,VAL,1},{2,VAL,1}},                1, 1, 0, 2, 0x1, 0, {0,0,0}, HOTA_OK, F, {VAL,VAL}, 0, 0},
    {{{3,VAL,1},{2,VAL,1}},                1, 1, 0, 2, ALL, 0, {0,0,0}, HOTA_OK, 0, {VAL,VAL}, 0, 0},
    {{{2,VAL,1},{2,VAL,1}},                1, 1, 0, 2, ALL, 0, {0,0,0}, HOTA_OK, 1, {VAL,VAL}, 0, 0},
    {{{1,VAL,1},{2,VAL,1}},                1, 1, 0, 2, 0x0, 0, {0,0,0}, HOTA_E_NO_BOOTABLE, NONE, {VAL,VAL}, 0, 0},
    {{{1,PV,1},{BLANK,UND,1}},             1, 0, 0, 2, ALL, 0, {0,0,0}, HOTA_OK, 0, {PV,UND}, 0, 0},
    {{{1,NEW,1},{BLANK,UND,1}},            1, 0, 0, 2, ALL, 0, {0,0,0}, HOTA_OK, 0, {NEW,UND}, 0, 0},
    {{{1,VAL,1},{2,NEW,1}},                0, 1, 0, 2, 0x2, 0, {0,0,0}, HOTA_OK, 0, {VAL,PV}, 1, 0},
    {{{1,VAL,1},{2,VAL,1}},                0, 1, 0, 2, 0x4, 0, {0,0,0}, HOTA_OK, 1, {VAL,VAL}, 0, 0},
    {{{1,7,1},{BLANK,UND,1}},              1, 1, 0, 2, ALL, 0, {0,0,0}, HOTA_OK, 0, {7,UND}, 0, 0},
    {{{1,VAL,1},{BLANK,UND,1}},            1, 1, 0, 0, ALL, 0, {0,0,0}, HOTA_OK, F, {VAL,UND}, 0, 0},
    /* anti-rollback: ota_1's app (secver 0) is below the eFuse value 1: entry 1 is passed over */
    {{{1,VAL,1},{2,VAL,1}},                0, 1, 1, 2, ALL, 1, {0,1,0}, HOTA_OK, 0, {VAL,VAL}, 0, 1},
    /* anti-rollback: a VALID active app with a higher secver raises the eFuse */
    {{{1,VAL,1},{BLANK,UND,1}},            0, 1, 1, 2, ALL, 1, {0,2,0}, HOTA_OK, 0, {VAL,UND}, 0, 2},
    /* anti-rollback: a NEW app is booted but the eFuse waits for its confirmation */
    {{{1,VAL,1},{2,NEW,1}},                0, 1, 1, 2, ALL, 1, {0,1,3}, HOTA_OK, 1, {VAL,PV}, 1, 1},
    /* anti-rollback, initial otadata, no factory: ota_0 gets seq 1 VALID, eFuse raised */
    {{{BLANK,UND,1},{BLANK,UND,1}},        0, 1, 1, 2, ALL, 0, {0,4,0}, HOTA_OK, 0, {VAL,UND}, 1, 4},
    /* anti-rollback: every app below the eFuse value: nothing boots */
    {{{1,VAL,1},{2,VAL,1}},                1, 1, 1, 2, ALL, 5, {1,1,1}, HOTA_E_NO_BOOTABLE, NONE, {VAL,VAL}, 0, 5},
};
/* clang-format on */

static void test_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *r = &rows[i];
        hota_boot_input_t in;
        hota_boot_result_t out;
        build(r, &in);
        print_message("row %zu\n", i);
        assert_int_equal(hota_boot_decide(&in, &out), r->want_rc);
        assert_int_equal(out.slot, r->want_slot);
        assert_int_equal(out.after[0].state, r->want_state[0]);
        assert_int_equal(out.after[1].state, r->want_state[1]);
        assert_int_equal(out.n_writes, r->want_writes);
        assert_int_equal(r->anti_rollback && out.raise_secure_version ? out.new_secure_version
                                                                       : r->efuse_secver,
                         r->want_efuse);
    }
}

/* ---- reference model, for the exhaustive sweep (rollback on, no anti-rollback) ---- */
static int usable(const hota_otadata_entry_t *e)
{
    return e->seq != BLANK && e->state != INV && e->state != ABO;
}

static int good_crc(const hota_otadata_entry_t *e)
{
    return e->seq != BLANK && e->crc == hota_otadata_crc(e->seq);
}

static int model(const hota_boot_input_t *in, hota_otadata_entry_t after[2], int *initial)
{
    int start, best = -1, ok;
    memcpy(after, in->entry, 2 * sizeof *after);
    for (int i = 0; i < 2; i++)
        if (after[i].state == PV)
            after[i].state = ABO;
    *initial = 0;
    if ((!usable(&after[0]) && !usable(&after[1])) || in->n_ota == 0) {
        start = in->has_factory ? F : 0;
        *initial = !in->has_factory && !good_crc(&after[0]) && !good_crc(&after[1]);
    } else {
        for (int i = 0; i < 2; i++)
            if (usable(&after[i]) && good_crc(&after[i]) &&
                (best < 0 || after[i].seq > after[best].seq))
                best = i;
        start = best < 0 ? F : (int)((after[best].seq - 1) % in->n_ota);
        if (best >= 0 && after[best].state == NEW)
            after[best].state = PV;
    }
    for (int s = start; s >= F; s--) {
        ok = s == F ? in->has_factory && in->factory.verifies : in->ota[s].verifies;
        if (ok)
            return s;
    }
    for (int s = start + 1; s < (int)in->n_ota; s++)
        if (in->ota[s].verifies)
            return s;
    return NONE;
}

static const uint32_t seqs[] = {BLANK, 1, 2, 3};
static const uint32_t states[] = {NEW, PV, VAL, INV, ABO, UND};

static void check_case(const struct ent *a, const struct ent *b, int fac, unsigned mask)
{
    struct row r;
    hota_boot_input_t in;
    hota_boot_result_t out;
    hota_otadata_entry_t after[2];
    int initial, want, rc;
    memset(&r, 0, sizeof r);
    r.e[0] = *a;
    r.e[1] = *b;
    r.has_factory = fac;
    r.rollback = 1;
    r.n_ota = 2;
    r.verify_mask = mask;
    build(&r, &in);
    want = model(&in, after, &initial);
    rc = hota_boot_decide(&in, &out);
    assert_int_equal(rc, want == NONE ? HOTA_E_NO_BOOTABLE : HOTA_OK);
    assert_int_equal(out.slot, want);
    if (initial && want >= 0)
        hota_otadata_make(&after[0], (uint32_t)want + 1, VAL);
    assert_memory_equal(out.after, after, sizeof after);
    /* invariants: the chosen app verifies; a PENDING_VERIFY entry is never the active one */
    if (want == F)
        assert_true(fac && in.factory.verifies);
    else if (want >= 0)
        assert_true(in.ota[want].verifies);
    if (out.active >= 0)
        assert_int_not_equal(in.entry[out.active].state, PV);
    /* the last write to each copy is what the copy holds afterwards */
    for (unsigned w = 0; w < out.n_writes; w++) {
        int later = 0;
        for (unsigned k = w + 1; k < out.n_writes; k++)
            later |= out.writes[k].copy == out.writes[w].copy;
        if (!later)
            assert_memory_equal(&out.writes[w].entry, &after[out.writes[w].copy],
                                sizeof after[0]);
    }
}

static void test_every_combination(void **state)
{
    struct ent all[48];
    unsigned n = 0, cases = 0;
    (void)state;
    for (size_t s = 0; s < 4; s++)
        for (size_t t = 0; t < 6; t++)
            for (int c = 0; c < 2; c++)
                all[n++] = (struct ent){seqs[s], states[t], c};
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < n; j++)
            for (int fac = 0; fac < 2; fac++)
                for (unsigned mask = 0; mask < 8; mask++, cases++)
                    check_case(&all[i], &all[j], fac, mask);
    assert_int_equal(cases, 48u * 48u * 2u * 8u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_every_combination),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
