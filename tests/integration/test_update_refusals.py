"""Every refusal of `hota update` leaves the device exactly as it was.

Images are made with `hota image create` and, where a broken one is needed, patched here
(app description magic, chip id) with the XOR checksum and the appended SHA-256 recomputed,
so the image is well formed except for the one property under test. Keys come from openssl.

For each case the flash file and its sidecars (.efuse, .progress) are compared byte for byte
before and after, the error and exit code are asserted, and so is the contract that a refusal
costs at most the first sector (flash_ops <= 2). Positive controls show each refusal is
caused by the property under test (same device, the right image: success).
"""

import hashlib
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hotatest import (EXIT, Device, Harness, fmt_table, hota_bin, log,  # noqa: E402
                      make_image, read_file, run, run_update, start_hota_serve)
from fault_proxy import MisbehavingServer  # noqa: E402

NAME = "test_update_refusals"
TIMEOUT_MS = 5000
APP_DESC_MAGIC_AT = 32   # header 24 + first segment header 8
CHIP_ID_AT = 12


def reseal(data):
    """Recompute the XOR checksum (byte before the appended SHA-256) and the SHA-256."""
    d = bytearray(data)
    n, off, cs = d[1], 24, 0xEF
    for _ in range(n):
        _, length = struct.unpack_from("<II", d, off)
        off += 8
        for b in d[off:off + length]:
            cs ^= b
        off += length
    d[len(d) - 33] = cs
    d[len(d) - 32:] = hashlib.sha256(bytes(d[:len(d) - 32])).digest()
    return bytes(d)


def overflow_header_end(path, slot=1 << 20):
    """File offset just past the segment header whose segment crosses the slot's end."""
    d = read_file(path)
    off = 24
    for _ in range(d[1]):
        _, length = struct.unpack_from("<II", d, off)
        off += 8
        if off + length > slot:
            return off
        off += length
    raise ValueError("no segment crosses the slot end")


def patched(h, src, name, at, new_bytes):
    data = bytearray(read_file(src))
    data[at:at + len(new_bytes)] = new_bytes
    return h.write(os.path.join("www", name), reseal(bytes(data)))


class Cases:
    def __init__(self, h):
        self.h = h
        self.rows = []
        self.n = 0

    def refuse(self, name, dev, src, errors, exit_code, ca=None, extra=(), requests=None,
               late=None):
        """Run the update, expect the refusal, the device unchanged.

        late: None for an early refusal (flash file byte-identical, at most the first sector
        touched); else the largest number of image bytes that may have been taken before the
        refusal (the slot may hold them; otadata, the eFuse sidecar and the boot choice must
        not change, and no progress record may stay)."""
        h = self.h
        before = dev.snapshot()
        boot_before = dev.otadata()
        running = dev.boot() or {}
        res = run_update(h, src, dev, ca=ca, timeout_ms=TIMEOUT_MS, extra=extra,
                         proc_timeout=60)
        js = res.js or {}
        errors = (errors,) if isinstance(errors, str) else errors
        h.check(js.get("result") == "error" and js.get("error") in errors,
                "[%s] error %s, got %s" % (name, "|".join(errors), js.get("error")), res)
        h.check(res.rc == exit_code, "[%s] exit %d, got %s" % (name, exit_code, res.rc), res)
        ops = js.get("flash_ops")
        after = dev.snapshot()
        if late is None:
            h.check(isinstance(ops, int) and ops <= 2,
                    "[%s] at most the first sector touched: flash_ops %s" % (name, ops), res)
            h.check(after == before, "[%s] flash file and sidecars unchanged: %s -> %s"
                    % (name, before, after))
            same = "yes" if after == before else "NO"
        else:
            taken = js.get("bytes")
            h.check(isinstance(taken, int) and taken <= late,
                    "[%s] refused as soon as possible: %s bytes taken <= %d" % (name, taken, late),
                    res)
            h.check(all(after[k] == before[k] for k in (".efuse", ".progress")),
                    "[%s] eFuse sidecar unchanged, no progress record: %s -> %s"
                    % (name, before, after))
            same = "otadata+efuse"
        h.check(dev.otadata() == boot_before, "[%s] otadata unchanged" % name)
        b = dev.boot() or {}
        h.check((b.get("partition"), b.get("version")) ==
                (running.get("partition"), running.get("version")),
                "[%s] still boots %s %s: %s" % (name, running.get("partition"),
                                                running.get("version"), b))
        if requests is not None:
            h.check(js.get("requests") == requests, "[%s] requests %s == %d (no retry)"
                    % (name, js.get("requests"), requests), res)
        self.rows.append([name, "|".join(errors), js.get("error"), res.rc, ops,
                          js.get("requests"), same])

    def accept(self, name, dev, src, version, ca=None, extra=()):
        h = self.h
        res = run_update(h, src, dev, ca=ca, timeout_ms=TIMEOUT_MS, extra=extra,
                         proc_timeout=60)
        js = res.js or {}
        ok = h.check(res.rc == 0 and js.get("result") == "ok" and js.get("version") == version,
                     "[%s] control: update to %s succeeds" % (name, version), res)
        self.rows.append([name, "ok", js.get("result") if ok else js.get("error"), res.rc,
                          js.get("flash_ops"), js.get("requests"), "(updated)"])


def openssl_key(h, name):
    key = h.path(name + ".pem")
    run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key])
    run(["openssl", "pkey", "-in", key, "-pubout", "-out", h.path(name + ".pub.pem")])
    return key, h.path(name + ".pub.pem")


def sign(h, img, key, out):
    run([hota_bin(), "image", "sign", img, "--key", key, "-o", out])
    return out


def main():
    with Harness(NAME) as h:
        h.need_hota()
        certs = h.certs()
        os.makedirs(h.path("www"), exist_ok=True)
        c = Cases(h)
        v1 = make_image(h, "v1", 100000)
        v2 = make_image(h, "v2", 200000, name=os.path.join("www", "v2.bin"))
        base = Device(h, "base", v1)
        _, port, _ = start_hota_serve(h, h.path("www"), certs)
        url = lambda name: "https://localhost:%d/%s" % (port, name)
        dev = lambda: Device.copy(h, base, "d%d" % len(c.rows))
        ca = certs.ca

        patched(h, v2, "nodesc.bin", APP_DESC_MAGIC_AT, b"\0\0\0\0")
        c.refuse("no app description", dev(), url("nodesc.bin"), "NO_APP_DESC", EXIT["image"],
                 ca=ca)
        c.refuse("no app description (file)", dev(), h.path("www", "nodesc.bin"),
                 "NO_APP_DESC", EXIT["image"])
        patched(h, v2, "chip.bin", CHIP_ID_AT, struct.pack("<H", 2))
        c.refuse("wrong chip (ESP32-S2 id)", dev(), url("chip.bin"), "IMAGE_CHIP", EXIT["image"],
                 ca=ca)
        c.accept("control: unpatched v2", dev(), url("v2.bin"), "v2", ca=ca)

        big = make_image(h, "big", 1200000, name=os.path.join("www", "big.bin"))
        c.refuse("larger than the slot (Content-Length)", dev(), url("big.bin"),
                 "IMAGE_TOO_LARGE", EXIT["device"], ca=ca)
        p2, cport, _ = start_hota_serve(h, h.path("www"), certs, framing="chunked")
        c.refuse("larger than the slot (chunked)", dev(),
                 "https://localhost:%d/big.bin" % cport, "IMAGE_TOO_LARGE", EXIT["device"], ca=ca,
                 late=overflow_header_end(big) + 8192)
        h.stop(p2)
        c.refuse("larger than the slot (file)", dev(), big, "IMAGE_TOO_LARGE", EXIT["device"])

        make_image(h, "v1", 100000, name=os.path.join("www", "v1-again.bin"))
        c.refuse("same version as running", dev(), url("v1-again.bin"), "SAME_VERSION",
                 EXIT["image"], ca=ca)
        c.accept("control: --allow-same-version", dev(), url("v1-again.bin"), "v1", ca=ca,
                 extra=["--allow-same-version"])

        f1 = make_image(h, "f", 100000, secure_version=2)
        ar = Device(h, "ar", f1, ["--anti-rollback", "--secure-version", "2"])
        make_image(h, "old", 200000, secure_version=1, name=os.path.join("www", "sv1.bin"))
        make_image(h, "new", 200000, secure_version=3, name=os.path.join("www", "sv3.bin"))
        c.refuse("secure_version 1 below eFuse 2", Device.copy(h, ar, "ar1"), url("sv1.bin"),
                 "SECURE_VERSION", EXIT["image"], ca=ca)
        c.accept("control: secure_version 3", Device.copy(h, ar, "ar2"), url("sv3.bin"), "new",
                 ca=ca)

        key, pub = openssl_key(h, "trusted")
        other, _ = openssl_key(h, "untrusted")
        fs = sign(h, v1, key, h.path("v1-signed.bin"))
        sb = Device(h, "sb", fs, ["--secure-boot-key", pub])
        sign(h, v2, key, h.path("www", "v2-signed.bin"))
        sign(h, v2, other, h.path("www", "v2-other.bin"))
        # The signature sector follows the image: these refusals come at the end of the
        # download (as in ESP-IDF); the old app must still be the one that boots.
        c.refuse("unsigned on a secure-boot device", Device.copy(h, sb, "sb1"), url("v2.bin"),
                 "SIG_MISSING", EXIT["signature"], ca=ca, late=os.path.getsize(v2))
        c.refuse("signed by an untrusted key", Device.copy(h, sb, "sb2"), url("v2-other.bin"),
                 ("SIG_UNTRUSTED", "SIG_INVALID"), EXIT["signature"], ca=ca,
                 late=os.path.getsize(h.path("www", "v2-other.bin")))
        c.accept("control: signed by the trusted key", Device.copy(h, sb, "sb3"),
                 url("v2-signed.bin"), "v2", ca=ca)

        c.refuse("404", dev(), url("missing.bin"), "HTTP_STATUS", EXIT["http"], ca=ca,
                 requests=1)
        ms = MisbehavingServer(certs.server, certs.server_key, h.path("www")).start()
        h.on_close(ms.stop)
        aurl = "https://localhost:%d/auth/v2.bin" % ms.port
        c.refuse("401 without credentials", dev(), aurl, ("HTTP_AUTH", "HTTP_STATUS"),
                 EXIT["http"], ca=ca, requests=1)
        c.refuse("401 with wrong credentials", dev(), aurl, ("HTTP_AUTH", "HTTP_STATUS"),
                 EXIT["http"], ca=ca, extra=["--user", "user:wrong"])
        c.accept("control: right credentials", dev(), aurl, "v2", ca=ca,
                 extra=["--user", "user:secret"])
        log("")
        log(fmt_table(c.rows, ["case", "expected", "got", "rc", "flash_ops", "requests",
                               "device unchanged"]))
        log("")
    h.finish()


if __name__ == "__main__":
    main()
