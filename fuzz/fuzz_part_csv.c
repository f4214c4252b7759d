/* Fuzz target: the partition CSV parser (hota_part_from_csv), gen_esp32part.py's syntax.
 *
 * Input: 1 control byte, then the CSV text.
 *   byte 0: flash size given to the parser (0: none, else 1, 2, 4, 8 or 16 MiB)
 * Properties: an accepted CSV gives a table that verifies (also against the flash size), whose
 * binary form parses back to the same bytes, and whose CSV rendering gives the same binary. */
#include "fuzz_util.h"

#include "hota/error.h"
#include "hota/partition.h"

#include <string.h>

static const uint32_t sizes[6] = {0, 1u << 20, 2u << 20, 4u << 20, 8u << 20, 16u << 20};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static hota_part_table_t t, t2;
    static uint8_t bin[HOTA_PART_TABLE_MAX], bin2[HOTA_PART_TABLE_MAX];
    static char csv[16384];
    fuzz_in_t in = {data, size};
    uint32_t flash = sizes[fuzz_u8(&in) % 6];
    int rc = hota_part_from_csv(in.len ? (const char *)in.p : "", in.len, flash, &t);
    if (rc != HOTA_OK)
        return 0;
    FUZZ_ASSERT(t.count >= 1 && t.count <= HOTA_PART_MAX_ENTRIES);
    FUZZ_ASSERT(hota_part_verify(&t, flash) == HOTA_OK);
    FUZZ_ASSERT(hota_part_to_bin(&t, bin) == HOTA_OK);
    FUZZ_ASSERT(hota_part_parse(bin, sizeof bin, &t2) == HOTA_OK);
    FUZZ_ASSERT(t2.count == t.count);
    FUZZ_ASSERT(hota_part_to_bin(&t2, bin2) == HOTA_OK && !memcmp(bin, bin2, sizeof bin));
    FUZZ_ASSERT(hota_part_to_csv(&t, csv, sizeof csv) == HOTA_OK);
    rc = hota_part_from_csv(csv, strlen(csv), flash, &t2);
    if (rc == HOTA_OK && fuzz_csv_safe_labels(&t)) {
        FUZZ_ASSERT(hota_part_to_bin(&t2, bin2) == HOTA_OK);
        FUZZ_ASSERT(!memcmp(bin, bin2, sizeof bin));
    }
    return 0;
}
