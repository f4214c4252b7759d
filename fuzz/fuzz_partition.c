/* Fuzz target: the binary partition table parser (hota_part_parse).
 *
 * Input: the table bytes as read from flash (any length; the parser sees at most the table
 * region of 3072 bytes).
 * Properties: an accepted table passes hota_part_verify(); writing it back with
 * hota_part_to_bin() and parsing again gives the same table; its CSV rendering parses back to
 * the same binary. */
#include "fuzz_util.h"

#include "hota/error.h"
#include "hota/partition.h"

#include <string.h>

/* flags_mask: the CSV syntax names only the known flags (encrypted, readonly); other bits of a
 * binary table are not representable there, as in gen_esp32part.py. */
static int same_table(const hota_part_table_t *a, const hota_part_table_t *b, uint32_t flags_mask)
{
    if (a->count != b->count)
        return 0;
    for (unsigned i = 0; i < a->count; i++) {
        const hota_partition_t *x = &a->part[i], *y = &b->part[i];
        if (x->type != y->type || x->subtype != y->subtype || x->offset != y->offset ||
            x->size != y->size || ((x->flags ^ y->flags) & flags_mask) || strcmp(x->label, y->label))
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static hota_part_table_t t, t2;
    static uint8_t bin[HOTA_PART_TABLE_MAX];
    static char csv[16384];
    int rc = hota_part_parse(size ? data : bin, size, &t);
    if (rc != HOTA_OK) {
        FUZZ_ASSERT(t.count == 0);
        return 0;
    }
    FUZZ_ASSERT(t.count >= 1 && t.count <= HOTA_PART_MAX_ENTRIES);
    FUZZ_ASSERT(hota_part_verify(&t, 0) == HOTA_OK);
    FUZZ_ASSERT(hota_part_to_bin(&t, bin) == HOTA_OK);
    FUZZ_ASSERT(hota_part_parse(bin, sizeof bin, &t2) == HOTA_OK);
    FUZZ_ASSERT(same_table(&t, &t2, UINT32_MAX));
    if (hota_part_to_csv(&t, csv, sizeof csv) == HOTA_OK) {
        rc = hota_part_from_csv(csv, strlen(csv), 0, &t2);
        /* Labels may hold bytes CSV cannot carry (commas, newlines, NUL): then refusing is
         * fine, but an accepted rendering must give back the same partitions. */
        if (rc == HOTA_OK && fuzz_csv_safe_labels(&t))
            FUZZ_ASSERT(same_table(&t, &t2, HOTA_PART_FLAG_ENCRYPTED | HOTA_PART_FLAG_READONLY));
    }
    return 0;
}
