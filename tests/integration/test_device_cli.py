"""The device CLI contract: hota flash create/info/write/read/set-boot/install, hota boot,
confirm, rollback (--json reports, exit codes, otadata bytes), and bad input (corrupt
partition table, garbage otadata, wrong flash size, no OTA slots): a clear error and the
flash file and its eFuse sidecar unchanged byte for byte."""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HOTA = os.environ.get("HOTA_BIN", "hota")
EXIT_DEVICE, EXIT_IMAGE = 10, 8
OTADATA = 0xD000
CHECKS = 0


def run(*args, want=0):
    p = subprocess.run([HOTA] + list(args), capture_output=True, text=True, timeout=60)
    if want is not None and p.returncode != want:
        sys.exit("FAIL: hota %s -> %d (want %d)\n%s%s" % (" ".join(args), p.returncode, want,
                                                          p.stdout, p.stderr))
    return p


def js(*args, want=0):
    return json.loads(run(*(list(args) + ["--json"]), want=want).stdout)


def check(cond, what):
    global CHECKS
    CHECKS += 1
    if not cond:
        sys.exit("FAIL: " + what)


def image(tmp, version, secver=0):
    path = os.path.join(tmp, "%s-%d.bin" % (version, secver))
    run("image", "create", "--project", "dev", "--version", version, "--secure-version",
        str(secver), "--size", "20000", "-o", path)
    return path


def otadata(flash):
    with open(flash, "rb") as f:
        f.seek(OTADATA)
        a = f.read(32)
        f.seek(OTADATA + 0x1000)
        b = f.read(32)
    return [struct.unpack("<I20sII", x) for x in (a, b)]


def table_bin(entries):
    """A partition table as gen_esp32part.py writes it: entries, MD5 entry, 0xFF padding."""
    body = b""
    for label, typ, sub, off, size in entries:
        body += struct.pack("<2sBBII16sI", b"\xaa\x50", typ, sub, off, size,
                            label.encode().ljust(16, b"\0"), 0)
    body += b"\xeb\xeb" + b"\xff" * 14 + hashlib.md5(body).digest()
    return body + b"\xff" * (0xC00 - len(body))


def poke(flash, off, data):
    with open(flash, "r+b") as f:
        f.seek(off)
        f.write(data)


def snapshot(flash):
    out = []
    for p in (flash, flash + ".efuse"):
        with open(p, "rb") as f:
            out.append(hashlib.sha256(f.read()).hexdigest())
    return out


def refused(flash, err, cmds):
    """Every command fails with err (JSON and exit code) and nothing changes."""
    before = snapshot(flash)
    for cmd in cmds:
        r = js(*cmd, want=EXIT_DEVICE)
        check(r["result"] == "error" and r["error"] == err, "%s: %s, want %s" % (cmd, r, err))
        check(r["flash_ops"] == 0, "%s wrote to flash: %s" % (cmd, r))
        check(snapshot(flash) == before, "%s changed the flash or sidecar" % (cmd,))


def test_update_cycle(tmp):
    v1, v2, v3 = image(tmp, "v1"), image(tmp, "v2"), image(tmp, "v3")
    f = os.path.join(tmp, "a.flash")
    r = js("flash", "create", f, "--factory", v1)
    check(os.path.getsize(f) == 4 << 20 and os.path.exists(f + ".efuse"), "create: files")
    info = js("flash", "info", f)
    check([p["label"] for p in info["partitions"]] ==
          ["nvs", "otadata", "phy_init", "factory", "ota_0", "ota_1"], "info: partitions")
    check(all(e["blank"] and not e["crc_ok"] for e in info["otadata"]), "info: blank otadata")
    check(info["boot"] == "factory" and info["efuse"]["rollback"], "info: boot/efuse")
    check(info["apps"]["factory"]["version"] == "v1" and not info["apps"]["ota_0"]["verifies"],
          "info: apps")
    r = js("boot", f)
    check((r["partition"], r["state"], r["version"], r["flash_ops"]) == ("factory", None, "v1", 0),
          "boot factory: %s" % r)
    r = js("flash", "write", f, "--ota", v2)
    check(r["partition"] == "ota_0" and r["flash_ops"] == 2 * 5, "write --ota: %s" % r)
    r = js("flash", "set-boot", f, "ota_0")
    check(r["flash_ops"] == 2, "set-boot ops")
    e = otadata(f)
    check(e[0][0] == 1 and e[0][2] == 0 and e[0][3] == 0x4743989A, "otadata[0] seq 1 NEW: %s" % e)
    r = js("boot", f)
    check((r["partition"], r["state"], r["version"]) == ("ota_0", "PENDING_VERIFY", "v2"), str(r))
    r = js("flash", "write", f, "--ota", v3, want=EXIT_DEVICE)
    check(r["error"] == "PENDING_VERIFY" and r["flash_ops"] == 0, "begin while pending: %s" % r)
    r = js("confirm", f)
    check(r["state"] == "VALID" and otadata(f)[0][2] == 2, "confirm: %s" % r)
    r = js("flash", "write", f, "--ota", "--partition", "ota_0", v3, want=EXIT_DEVICE)
    check(r["error"] == "RUNNING_SLOT" and r["flash_ops"] == 0, "running slot: %s" % r)
    r = js("flash", "install", f, v3)
    e = otadata(f)
    check(r["partition"] == "ota_1" and e[1][0] == 2 and e[1][3] == 0x55F63774 and e[1][2] == 0,
          "install: %s %s" % (r, e))
    r = js("boot", f)
    check((r["partition"], r["state"]) == ("ota_1", "PENDING_VERIFY"), "boot new: %s" % r)
    r = js("boot", f)  # reset before confirming: ABORTED, back to ota_0
    check((r["partition"], r["state"], r["version"]) == ("ota_0", "VALID", "v2"), str(r))
    check(otadata(f)[1][2] == 4, "aborted entry")
    js("flash", "install", f, v3)
    js("boot", f)
    r = js("rollback", f)
    check(r["partition"] == "ota_1" and r["next_boot"] == "ota_0", "rollback: %s" % r)
    check(otadata(f)[1][2] == 3, "invalid entry")
    r = js("boot", f)
    check((r["partition"], r["version"]) == ("ota_0", "v2"), "after rollback: %s" % r)
    out = os.path.join(tmp, "ota0.bin")
    r = js("flash", "read", f, "--partition", "ota_0", "-o", out)
    with open(out, "rb") as a, open(v2, "rb") as b:
        img = b.read()
        data = a.read()
        check(len(data) == 1 << 20 and data[:len(img)] == img, "read back ota_0")
    r = run("flash", "set-boot", f, "factory")
    check(js("boot", f)["partition"] == "factory", "set-boot factory")
    return f


def test_anti_rollback(tmp):
    f = os.path.join(tmp, "ar.flash")
    js("flash", "create", f, "--factory", image(tmp, "f", 1), "--anti-rollback",
       "--secure-version", "1")
    js("boot", f)
    r = js("flash", "install", f, image(tmp, "old", 0), want=EXIT_IMAGE)
    check(r["error"] == "SECURE_VERSION", "old secure_version refused: %s" % r)
    js("flash", "install", f, image(tmp, "new", 2))
    r = js("boot", f)
    check(r["version"] == "new" and r["efuse_secure_version"] == 1, "boot new: %s" % r)
    r = js("confirm", f)
    check(r["efuse_secure_version"] == 2, "confirm raises eFuse: %s" % r)
    check(js("flash", "info", f)["efuse"]["secure_version"] == 2, "eFuse persisted")


WRITERS = lambda f: [("flash", "set-boot", f, "ota_0"), ("flash", "write", f, "--ota", f),
                     ("boot", f), ("confirm", f), ("rollback", f)]


def test_bad_input(tmp, good):
    base = os.path.join(tmp, "base.flash")
    shutil.copyfile(good, base)
    shutil.copyfile(good + ".efuse", base + ".efuse")
    stock = [("nvs", 1, 2, 0x9000, 0x4000), ("otadata", 1, 0, 0xD000, 0x2000),
             ("phy_init", 1, 1, 0xF000, 0x1000), ("factory", 0, 0, 0x10000, 0x100000),
             ("ota_0", 0, 0x10, 0x110000, 0x100000), ("ota_1", 0, 0x11, 0x210000, 0x100000)]
    cases = []
    bad_md5 = bytearray(table_bin(stock))
    bad_md5[12] ^= 1
    cases.append(("md5", bytes(bad_md5), "PART_MD5"))
    overlap = list(stock)
    overlap[5] = ("ota_1", 0, 0x11, 0x200000, 0x100000)
    cases.append(("overlap", table_bin(overlap), "PART_OVERLAP"))
    unaligned = list(stock)
    unaligned[5] = ("ota_1", 0, 0x11, 0x211000, 0x100000)
    cases.append(("unaligned", table_bin(unaligned), "PART_ALIGN"))
    for name, tbl, err in cases:
        f = os.path.join(tmp, name + ".flash")
        shutil.copyfile(base, f)
        shutil.copyfile(base + ".efuse", f + ".efuse")
        poke(f, 0x8000, tbl)
        refused(f, err, [("flash", "info", f)] + WRITERS(f))
    f = os.path.join(tmp, "garbage.flash")
    shutil.copyfile(base, f)
    shutil.copyfile(base + ".efuse", f + ".efuse")
    poke(f, OTADATA, bytes(range(7, 39)))
    poke(f, OTADATA + 0x1000, bytes(range(100, 132)))
    refused(f, "OTADATA", WRITERS(f))
    check(js("flash", "info", f)["otadata_sane"] is False, "info reports garbage otadata")
    f = os.path.join(tmp, "short.flash")
    shutil.copyfile(base, f)
    shutil.copyfile(base + ".efuse", f + ".efuse")
    with open(f, "r+b") as fh:
        fh.truncate((4 << 20) - 100)
    refused(f, "FLASH_SIZE", [("flash", "info", f)] + WRITERS(f))
    with open(f, "r+b") as fh:
        fh.truncate(2 << 20)
    refused(f, "FLASH_SIZE", [("flash", "info", f)] + WRITERS(f))
    single = os.path.join(tmp, "single.bin")
    with open(single, "wb") as fh:
        fh.write(table_bin(stock[:1] + stock[2:4]))
    f = os.path.join(tmp, "single.flash")
    js("flash", "create", f, "--table", single)
    refused(f, "NO_OTA_SLOTS", [("flash", "set-boot", f, "factory"), ("confirm", f),
                                ("flash", "write", f, "--ota", f)])
    r = js("flash", "create", os.path.join(tmp, "x.flash"), "--size", "1MB", want=EXIT_DEVICE)
    check(r["error"] == "FLASH_SIZE", "table larger than flash: %s" % r)


def main():
    tmp = tempfile.mkdtemp(prefix="hota-dev-")
    try:
        good = test_update_cycle(tmp)
        test_anti_rollback(tmp)
        test_bad_input(tmp, good)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("device CLI: %d checks passed" % CHECKS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
