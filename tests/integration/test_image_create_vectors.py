"""`hota image create` output compared in structure with esptool's esp32-app-template.bin.

Both images are parsed by the same Python reader: header constants, segment kinds in order,
app description at 0x20, checksum placement and appended SHA-256 must agree in form.
Needs ../shared/vectors (skips with exit 77 when absent).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hotatest import Harness, hota_bin, run  # noqa: E402
from test_serve import parse_image  # noqa: E402


def region(addr):
    """Memory region of a load address (ESP32)."""
    for lo, hi, name in ((0x3F400000, 0x3F800000, "DROM"), (0x3FF80000, 0x40000000, "DRAM"),
                         (0x40070000, 0x400A0000, "IRAM"), (0x400C2000, 0x40C00000, "IROM")):
        if lo <= addr < hi:
            return name
    return "?"


def main():
    vec = os.environ.get("HOTA_VECTORS_DIR", "")
    tmpl = os.path.join(vec, "esp32-app-template.bin")
    with Harness("test_image_create_vectors") as h:
        if not os.path.isfile(tmpl):
            h.skip("vectors not found at %s" % vec)
        ref = open(tmpl, "rb").read()
        out = h.path("mine.bin")
        cp = run([hota_bin(), "image", "create", "--project", "app-template", "--version",
                  "1cd5752", "--size", str(len(ref)), "-o", out], check=False)
        h.check(cp.returncode == 0, "image create", cp.stderr)
        mine = open(out, "rb").read()
        a, b = parse_image(ref), parse_image(mine)
        h.check(a["csum_ok"] and a["sha_ok"] and a["end"] == len(ref),
                "reader agrees with esptool on the template", a)
        h.check(abs(len(mine) - len(ref)) < 16, "size as close to the template's as the format "
                "allows", (len(mine), len(ref)))
        for k in ("magic", "nseg", "chip_id", "hash_appended", "wp", "desc_magic"):
            h.check(a[k] == b[k], "same %s" % k, (a[k], b[k]))
        h.check(ref[17:23] == mine[17:23], "same chip revision range and reserved bytes",
                (ref[12:24].hex(), mine[12:24].hex()))
        ra = [region(s[0]) for s in a["segs"]]
        rb = [region(s[0]) for s in b["segs"]]
        h.check(ra == rb, "same segment regions in the same order", (ra, rb))
        h.check(a["segs"][0][0] == b["segs"][0][0] == 0x3F400020 and
                a["segs"][0][2] == b["segs"][0][2] == 0x20, "app description at 0x20 in both")
        for im, tag in ((a, "template"), (b, "created")):
            for addr, _, doff in im["segs"]:
                if region(addr) in ("DROM", "IROM"):
                    h.check(addr % 0x10000 == doff % 0x10000,
                            "%s: %#x mapped at a matching 64 KiB offset" % (tag, addr))
        h.check(b["csum_ok"] and b["sha_ok"] and b["pad_zero"] and b["end"] == len(mine),
                "created image: checksum, padding and SHA-256 in the template's places")
        h.check(b["project"] == "app-template" and b["version"] == "1cd5752",
                "created app description", b)
        h.finish()


if __name__ == "__main__":
    main()
