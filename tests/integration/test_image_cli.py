#!/usr/bin/env python3
"""`hota image info` / `hota image verify`: the JSON contract and exit codes.

Part 1 runs everywhere, on synthetic images written here. Part 2 needs the reference images
made by esptool/espsecure ($HOTA_VECTORS_DIR); when they are absent it is skipped (exit 77)."""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

HOTA = os.environ.get("HOTA_BIN", "hota")
VECTORS = os.environ.get("HOTA_VECTORS_DIR", "")
FAILS = []

EXIT_TRUNCATED, EXIT_IMAGE, EXIT_SIGNATURE, EXIT_IO = 3, 8, 9, 11


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


def hota(*args):
    p = subprocess.run([HOTA, "image", *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def info(path, *extra):
    rc, out, err = hota("info", path, "--json", *extra)
    try:
        return rc, json.loads(out)
    except ValueError:
        FAILS.append("info %s: output is not JSON: %r %r" % (path, out, err))
        return rc, {}


def verify(path, *extra):
    rc, out, err = hota("verify", path, "--json", *extra)
    try:
        return rc, json.loads(out)
    except ValueError:
        FAILS.append("verify %s: output is not JSON: %r %r" % (path, out, err))
        return rc, {}


def app_desc(secure_version):
    d = bytearray(256)
    struct.pack_into("<II", d, 0, 0xABCD5432, secure_version)
    for off, text in ((16, b"v9.8.7"), (48, b"cli-synthetic"), (80, b"01:02:03"),
                      (96, b"Feb  3 2024"), (112, b"v5.3.1")):
        d[off:off + len(text)] = text
    return bytes(d)


def build(segments, chip=0, hash_appended=True, entry=0x40081234):
    """An app image as esptool lays it out; segments: [(load_addr, data)]."""
    out = bytearray(struct.pack("<BBBBIB3sHBHH4sB", 0xE9, len(segments), 2, 0x20, entry, 0xEE,
                                b"\0\0\0", chip, 0, 0, 0xFFFF, b"\0" * 4, int(hash_appended)))
    x = 0xEF
    for addr, data in segments:
        out += struct.pack("<II", addr, len(data)) + data
        for b in data:
            x ^= b
    out += b"\0" * (15 - len(out) % 16) + bytes([x])
    if hash_appended:
        out += hashlib.sha256(out).digest()
    return bytes(out)


def synthetic_segments(desc=True, secure_version=1):
    seg0 = (app_desc(secure_version) if desc else b"\x11" * 256) + bytes(range(64))
    return [(0x3F400020, seg0), (0x3FFB0000, b"\x22" * 40), (0x40080000, b"\x33" * 100)]


def write(tmp, name, data):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def part_synthetic(tmp):
    img = build(synthetic_segments())
    good = write(tmp, "good.bin", img)
    rc, j = info(good)
    check(rc == 0, "info good: exit %d" % rc)
    check(j.get("result") == "ok" and j.get("error") is None, "info good: result %r" % j)
    check(j.get("chip_id") == 0 and j.get("entry_addr") == 0x40081234, "info good: header")
    check(j.get("segments") == [{"load_addr": 0x3F400020, "length": 320, "offset": 0x20},
                                {"load_addr": 0x3FFB0000, "length": 40, "offset": 0x168},
                                {"load_addr": 0x40080000, "length": 100, "offset": 0x198}],
          "info good: segments %r" % j.get("segments"))
    check(j.get("checksum") == img[-33] and j.get("checksum_valid") is True, "info good: checksum")
    check(j.get("hash") == img[-32:].hex() and j.get("hash_valid") is True, "info good: hash")
    check(j.get("image_len") == len(img) and j.get("total_len") == len(img), "info good: lengths")
    check(j.get("app") and j["app"].get("project_name") == "cli-synthetic"
          and j["app"].get("version") == "v9.8.7" and j["app"].get("secure_version") == 1
          and j["app"].get("idf_ver") == "v5.3.1" and j["app"].get("date") == "Feb  3 2024"
          and j["app"].get("time") == "01:02:03", "info good: app %r" % j.get("app"))
    check(j.get("signatures") == [], "info good: signatures")
    rc, out, _ = hota("info", good)
    check(rc == 0 and "cli-synthetic" in out and "0x3f400020" in out, "info text: %r" % out)

    bad = bytearray(img)
    bad[0x100] ^= 0x01  # a byte of segment 0's data
    rc, j = info(write(tmp, "bad-checksum.bin", bytes(bad)))
    check(rc == EXIT_IMAGE and j.get("error") == "IMAGE_CHECKSUM", "info bad checksum: %d %r"
          % (rc, j.get("error")))
    check(j.get("checksum_valid") is False and j.get("hash_valid") is False
          and len(j.get("segments", [])) == 3, "info bad checksum: facts still reported")

    rc, j = info(write(tmp, "truncated.bin", img[:0x1A0]))
    check(rc == EXIT_TRUNCATED and j.get("error") == "IMAGE_TRUNCATED", "info truncated: %d" % rc)
    check(j.get("image_len") == len(img) and j.get("checksum_valid") is None,
          "info truncated: known and unknown facts")

    rc, j = info(write(tmp, "magic.bin", b"\xE8" + img[1:]))
    check(rc == EXIT_IMAGE and j.get("error") == "IMAGE_MAGIC" and j.get("chip_id") is None,
          "info bad magic: %d %r" % (rc, j))

    rc, _, err = hota("info", os.path.join(tmp, "missing.bin"))
    check(rc == EXIT_IO and "missing.bin" in err, "info missing file: %d" % rc)
    rc, _, _ = hota("info")
    check(rc == 2, "info without a file is a usage error")

    rc, j = verify(good, "--chip", "esp32", "--secure-version", "1")
    check(rc == 0 and j.get("result") == "ok", "verify good: %d %r" % (rc, j.get("error")))
    rc, j = verify(good, "--chip", "esp32s3")
    check(rc == EXIT_IMAGE and j.get("error") == "IMAGE_CHIP", "verify chip: %d" % rc)
    rc, j = verify(good, "--secure-version", "2")
    check(rc == EXIT_IMAGE and j.get("error") == "SECURE_VERSION", "verify sv: %d" % rc)
    rc, j = verify(good, "--max-size", "512")
    check(rc != 0 and j.get("error") == "IMAGE_TOO_LARGE", "verify max-size: %d" % rc)
    rc, j = verify(good, "--max-size", str(len(img)))
    check(rc == 0, "verify max-size exact: %d" % rc)
    nodesc = write(tmp, "nodesc.bin", build(synthetic_segments(desc=False)))
    rc, j = verify(nodesc)
    check(rc == EXIT_IMAGE and j.get("error") == "NO_APP_DESC" and j.get("app") is None,
          "verify no app desc: %d" % rc)
    rc, j = verify(nodesc, "--allow-no-app-desc")
    check(rc == 0, "verify --allow-no-app-desc: %d" % rc)
    rc, _, _ = hota("verify", good, "--chip", "esp99")
    check(rc == 2, "verify unknown chip is a usage error")


def vec(name):
    return os.path.join(VECTORS, name)


def part_vectors(tmp):
    rc, j = info(vec("esp32-app-template.bin"))
    check(rc == 0, "template: exit %d" % rc)
    check(j.get("chip_id") == 0 and j.get("entry_addr") == 0x4008167C
          and len(j.get("segments", [])) == 5, "template: header/segments")
    check(j.get("checksum") == 0x7C and j.get("checksum_valid") is True, "template: checksum")
    h = j.get("hash") or ""
    check(h.startswith("dd3f0a32") and h.endswith("c74f") and j.get("hash_valid") is True,
          "template: hash %s" % h)
    app = j.get("app") or {}
    check(app == {**app, "project_name": "app-template", "version": "1cd5752",
                  "secure_version": 0, "idf_ver": "v4.0-dev-30-g31ca6e399",
                  "date": "Mar 18 2019", "time": "10:47:33"}, "template: app %r" % app)
    check(j.get("signatures") == [] and j.get("total_len") == j.get("image_len")
          == os.path.getsize(vec("esp32-app-template.bin")), "template: lengths, no signatures")

    rc, j = info(vec("esp32-app-cust-ver-info.bin"))
    h = j.get("hash") or ""
    check(rc == 0 and j.get("app") is None and j.get("checksum") == 0x8B
          and j.get("checksum_valid") is True and h.startswith("24c5a99a") and h.endswith("1807")
          and j.get("hash_valid") is True, "cust-ver-info: %r" % j)
    rc, j = verify(vec("esp32-app-cust-ver-info.bin"))
    check(rc == EXIT_IMAGE and j.get("error") == "NO_APP_DESC", "cust-ver-info verify: %d" % rc)

    cases = (("esp32-app-template.rsa3072-signed.bin", "rsa3072", 1, "2fdac2ab", "7516",
              "dev-rsa3072.pub.pem", "dev-ecdsa256.pub.pem"),
             ("esp32-app-template.ecdsa256-signed.bin", "ecdsa256", 1, "ccc39ad0", "665b",
              "dev-ecdsa256.pub.pem", "dev-rsa3072.pub.pem"),
             ("esp32-app-template.rsa3072-2keys-signed.bin", "rsa3072", 2, "2fdac2ab", "7516",
              "dev-rsa3072-b.pub.pem", "dev-ecdsa256.pub.pem"))
    for name, scheme, n, pre, suf, key, wrong in cases:
        rc, j = info(vec(name))
        sigs = j.get("signatures", [])
        check(rc == 0 and len(sigs) == n and all(s.get("scheme") == scheme and s.get("valid")
                                                 is True for s in sigs), "%s: signatures %r"
              % (name, sigs))
        check(sigs and sigs[0].get("key_digest", "").startswith(pre)
              and sigs[0]["key_digest"].endswith(suf), "%s: key digest" % name)
        check(j.get("total_len") == os.path.getsize(vec(name))
              and j.get("total_len") == j.get("signed_len", 0) + 4096, "%s: lengths" % name)
        rc, j = verify(vec(name), "--key", vec(key), "--chip", "esp32")
        check(rc == 0 and j.get("result") == "ok", "%s: verify with its key: %d" % (name, rc))
        rc, j = verify(vec(name), "--key", vec(wrong))
        check(rc == EXIT_SIGNATURE and j.get("error") == "SIG_UNTRUSTED",
              "%s: verify with another key: %d %r" % (name, rc, j.get("error")))
    rc, j = verify(vec("esp32-app-template.bin"), "--key", vec("dev-rsa3072.pub.pem"))
    check(rc == EXIT_SIGNATURE and j.get("error") == "SIG_MISSING", "unsigned with key: %d" % rc)

    img = bytearray(open(vec("esp32-app-template.rsa3072-signed.bin"), "rb").read())
    image_len = 0x92ED0
    img[0x50000] ^= 0x5A  # inside segment 3
    img[image_len - 33] ^= 0x5A  # keep the XOR checksum right
    img[image_len - 32:image_len] = hashlib.sha256(img[:image_len - 32]).digest()
    resealed = write(tmp, "resealed.bin", bytes(img))
    rc, j = info(resealed)
    check(j.get("checksum_valid") is True and j.get("hash_valid") is True
          and j.get("signatures", [{}])[0].get("valid") is False, "resealed: info %r" % j)
    rc, j = verify(resealed, "--key", vec("dev-rsa3072.pub.pem"))
    check(rc == EXIT_SIGNATURE and j.get("error") == "SIG_DIGEST", "resealed: verify %d %r"
          % (rc, j.get("error")))


def main():
    with tempfile.TemporaryDirectory(prefix="hota-image-cli-") as tmp:
        part_synthetic(tmp)
        have = os.path.isdir(VECTORS)
        if have:
            part_vectors(tmp)
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        return 1
    if not have:
        print("SKIPPED test_image_cli: vectors not found at %s" % (VECTORS or "(unset)"))
        return 77
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
