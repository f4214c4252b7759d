#!/usr/bin/env python3
"""CLI contract of `hota image sign` and `hota image key-digest` (Secure Boot V2).

Keys come from the openssl CLI; every signature block the CLI writes is checked here
independently: layout and CRC with zlib, image digests with hashlib, RSA rinv/mdash with
Python integers, and the signatures themselves with `openssl pkeyutl -verify`.
"""

import hashlib
import json
import os
import shutil
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hotatest import EXIT, Harness, hota_bin, run  # noqa: E402

NAME = "test_sign_cli"
SECTOR = 4096
BLOCK = 1216


def openssl(h, *args):
    return run(["openssl"] + list(args), timeout=120, cwd=h.tmp)


def make_keys(h):
    keys = {}
    openssl(h, "genrsa", "-out", "rsa.pem", "3072")
    openssl(h, "genrsa", "-out", "rsa2048.pem", "2048")
    openssl(h, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "p256.pem")
    openssl(h, "ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "p384.pem")
    for name in ("rsa", "rsa2048", "p256", "p384"):
        openssl(h, "pkey", "-in", name + ".pem", "-pubout", "-out", name + ".pub.pem")
        keys[name] = (h.path(name + ".pem"), h.path(name + ".pub.pem"))
    return keys


def cli(h, *args):
    return h.run_cli([hota_bin(), "image"] + list(args), timeout=60)


def parse_json(h, res, what):
    try:
        return json.loads(res.stdout)
    except ValueError:
        h.check(False, what + ": stdout is one JSON object", res)
        return {}


def key_digest(h, path):
    res = cli(h, "key-digest", path, "--json")
    js = parse_json(h, res, "key-digest --json " + path)
    h.check(res.rc == 0 and js.get("result") == "ok", "key-digest %s succeeds" % path, res)
    return js.get("digest", ""), js.get("scheme")


def rsa_modulus(h, pub):
    cp = openssl(h, "rsa", "-pubin", "-in", pub, "-noout", "-modulus")
    return int(cp.stdout.strip().split("=", 1)[1], 16)


def ec_point(h, pub, width):
    """(x, y) of an EC public key from `openssl ec -text` (04 || x || y)."""
    cp = openssl(h, "ec", "-pubin", "-in", pub, "-noout", "-text")
    hexs, on = "", False
    for line in cp.stdout.splitlines():
        if line.startswith("pub:"):
            on = True
            continue
        if on and line.startswith("    "):
            hexs += line.strip().replace(":", "")
        elif on:
            break
    raw = bytes.fromhex(hexs)
    return raw[1:1 + width], raw[1 + width:1 + 2 * width]


def der_int(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80:
        b = b"\0" + b
    return b"\x02" + bytes([len(b)]) + b


def der_sig(r, s):
    body = der_int(r) + der_int(s)
    return b"\x30" + bytes([len(body)]) + body


def openssl_verify(h, pub, digest, sig, pss):
    dg = h.write("dgst.bin", digest)
    sg = h.write("sig.bin", sig)
    args = ["pkeyutl", "-verify", "-pubin", "-inkey", pub, "-in", dg, "-sigfile", sg]
    if pss:
        args += ["-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:32",
                 "-pkeyopt", "digest:sha256"]
    cp = run(["openssl"] + args, timeout=60, check=False, cwd=h.tmp)
    return cp.returncode == 0 and "Success" in cp.stdout


def check_rsa_block(h, blk, pub, digest):
    n = rsa_modulus(h, pub)
    h.check(blk[36:420] == n.to_bytes(384, "little"), "RSA block: n little-endian")
    h.check(struct.unpack("<I", blk[420:424])[0] == 65537, "RSA block: e")
    h.check(blk[424:808] == pow(2, 6144, n).to_bytes(384, "little"), "RSA block: rinv")
    mdash = (-pow(n, -1, 1 << 32)) % (1 << 32)
    h.check(struct.unpack("<I", blk[808:812])[0] == mdash, "RSA block: mdash")
    h.check(openssl_verify(h, pub, digest, blk[812:1196][::-1], True),
            "RSA-PSS signature verifies with openssl")
    return hashlib.sha256(blk[36:812]).hexdigest()


def check_ecdsa_block(h, blk, pub, digest, width):
    off = 36 if width == 32 else 52
    h.check(blk[2] == (0 if width == 32 else 1), "ECDSA block: digest type")
    h.check(blk[off] == (2 if width == 32 else 3), "ECDSA block: curve id")
    x, y = ec_point(h, pub, width)
    key = blk[off + 1:off + 1 + 2 * width]
    h.check(key == x[::-1] + y[::-1], "ECDSA block: x, y little-endian")
    sig = blk[off + 1 + 2 * width:off + 1 + 4 * width]
    r, s = sig[:width][::-1], sig[width:][::-1]
    h.check(openssl_verify(h, pub, digest, der_sig(r, s), False),
            "ECDSA signature verifies with openssl")
    h.check(blk[off + 1 + 4 * width:1196] == bytes(1196 - off - 1 - 4 * width),
            "ECDSA block: zero up to the CRC")
    return hashlib.sha256(blk[off:off + 1 + 2 * width]).hexdigest()


def check_signed(h, data, out, keys, names):
    """The output: data, 0xFF to 4 KiB, one sector with one valid block per key, 0xFF."""
    signed_len = (len(data) + SECTOR - 1) // SECTOR * SECTOR
    with open(out, "rb") as f:
        got = f.read()
    h.check(len(got) == signed_len + SECTOR, "output is padded input + 4096 bytes",
            "%d vs %d" % (len(got), signed_len + SECTOR))
    h.check(got[:len(data)] == data, "output starts with the input unchanged")
    h.check(got[len(data):signed_len] == b"\xff" * (signed_len - len(data)), "0xFF padding")
    padded, sec = got[:signed_len], got[signed_len:]
    d256, d384 = hashlib.sha256(padded).digest(), hashlib.sha384(padded).digest()
    digests = []
    for i, name in enumerate(names):
        blk = sec[i * BLOCK:(i + 1) * BLOCK]
        h.check(blk[0] == 0xE7, "block %d magic" % i)
        h.check(blk[1] == (2 if name.startswith("rsa") else 3), "block %d version" % i)
        h.check(struct.unpack("<I", blk[1196:1200])[0] == zlib.crc32(blk[:1196]),
                "block %d CRC-32 (zlib) over 1196 bytes" % i)
        h.check(blk[1200:] == bytes(16), "block %d zero tail" % i)
        if name == "p384":
            h.check(blk[4:52] == d384, "block %d: SHA-384 of the padded image" % i)
            kd = check_ecdsa_block(h, blk, keys[name][1], d384, 48)
        else:
            h.check(blk[4:36] == d256, "block %d: SHA-256 of the padded image" % i)
            if name == "rsa":
                kd = check_rsa_block(h, blk, keys[name][1], d256)
            else:
                kd = check_ecdsa_block(h, blk, keys[name][1], d256, 32)
        h.check(kd == key_digest(h, keys[name][1])[0], "block %d key digest = key-digest" % i)
        digests.append(kd)
    h.check(sec[len(names) * BLOCK:] == b"\xff" * (SECTOR - len(names) * BLOCK),
            "sector is 0xFF after the blocks")
    return digests


def sign(h, src, out, keys, names, extra=()):
    args = ["sign", src, "-o", out]
    for n in names:
        args += ["--key", keys[n][0]]
    return cli(h, *(args + list(extra)))


def test_sign(h, keys):
    data = os.urandom(5000)
    src = h.write("app.bin", data)
    for names in (["rsa"], ["p256"], ["p384"], ["rsa", "p256", "p384"]):
        out = h.path("signed-%s.bin" % "-".join(names))
        res = sign(h, src, out, keys, names, ["--json"])
        js = parse_json(h, res, "sign --json")
        h.check(res.rc == 0 and js.get("result") == "ok", "sign with %s" % names, res)
        if res.rc != 0:
            continue
        digests = check_signed(h, data, out, keys, names)
        sigs = js.get("signatures", [])
        h.check([s.get("key_digest") for s in sigs] == digests, "JSON lists the key digests", js)
        h.check(js.get("signed_len") == 8192 and js.get("total_len") == 12288,
                "JSON lengths", js)
    aligned = os.urandom(8192)
    src2 = h.write("aligned.bin", aligned)
    res = sign(h, src2, h.path("aligned.signed"), keys, ["rsa"])
    h.check(res.rc == 0, "sign a 4 KiB-aligned input", res)
    if res.rc == 0:
        check_signed(h, aligned, h.path("aligned.signed"), keys, ["rsa"])
        h.check("rsa3072" in res.stdout and "block 0" in res.stdout,
                "text output names the blocks", res)


def test_refusals(h, keys):
    src = h.write("app2.bin", os.urandom(3000))
    signed = h.path("app2.signed")
    res = sign(h, src, signed, keys, ["rsa"])
    h.check(res.rc == 0, "sign app2", res)
    again = h.path("app2.twice")
    res = sign(h, signed, again, keys, ["p256"])
    h.check(res.rc == EXIT["error"] and "already" in res.stderr, "re-signing is refused", res)
    h.check(not os.path.exists(again), "no output for a refused re-sign")
    cases = [
        (["sign", src, "-o", h.path("x1")], EXIT["usage"], "no --key"),
        (["sign", src, "--key", keys["rsa"][0]], EXIT["usage"], "no -o"),
        (["sign", "--key", keys["rsa"][0], "-o", h.path("x2")], EXIT["usage"], "no IMG"),
        (["sign", src, "-o", h.path("x3")] + ["--key", keys["p256"][0]] * 4, EXIT["usage"],
         "four keys"),
        (["sign", src, "-o", h.path("x4"), "--bogus"], EXIT["usage"], "unknown option"),
        (["sign", h.path("missing.bin"), "--key", keys["rsa"][0], "-o", h.path("x5")],
         EXIT["io"], "missing IMG"),
        (["sign", src, "--key", h.path("missing.pem"), "-o", h.path("x6")], EXIT["io"],
         "missing key file"),
        (["sign", src, "--key", keys["rsa"][1], "-o", h.path("x7")], EXIT["signature"],
         "a public key cannot sign"),
        (["sign", src, "--key", keys["rsa2048"][0], "-o", h.path("x8")], EXIT["signature"],
         "RSA-2048 is not a Secure Boot V2 key"),
        (["key-digest", keys["rsa2048"][1]], EXIT["signature"], "key-digest of RSA-2048"),
        (["key-digest", src], EXIT["signature"], "key-digest of a non-key"),
        (["key-digest", h.path("missing.pem")], EXIT["io"], "key-digest of a missing file"),
        (["key-digest"], EXIT["usage"], "key-digest without a file"),
    ]
    for args, rc, what in cases:
        res = cli(h, *args)
        h.check(res.rc == rc, "%s: exit %d" % (what, rc), res)
        if "-o" in args:
            h.check(not os.path.exists(args[args.index("-o") + 1]), "%s: no output file" % what)
    res = cli(h, "key-digest", src, "--json")
    js = parse_json(h, res, "key-digest --json error")
    h.check(js.get("result") == "error" and js.get("error") == "KEY", "JSON error for a non-key",
            res)


def test_key_digest(h, keys):
    for name, scheme in (("rsa", "rsa3072"), ("p256", "ecdsa256"), ("p384", "ecdsa384")):
        priv, pub = keys[name]
        res = cli(h, "key-digest", pub)
        line = res.stdout
        h.check(res.rc == 0 and len(line) == 65 and line.endswith("\n")
                and all(c in "0123456789abcdef" for c in line[:64]),
                "key-digest prints 64 lower-case hex digits and a newline", res)
        d_pub, s_pub = key_digest(h, pub)
        d_priv, s_priv = key_digest(h, priv)
        h.check(d_pub == line[:64] == d_priv, "%s: public and private key give one digest" % name)
        h.check(s_pub == s_priv == scheme, "%s: scheme %s" % (name, scheme), (s_pub, s_priv))
        out = h.path("%s.digest" % name)
        res = cli(h, "key-digest", pub, "-o", out)
        with open(out, "rb") as f:
            raw = f.read()
        h.check(res.rc == 0 and raw.hex() == d_pub, "%s: -o writes the 32 raw bytes" % name, res)


def main():
    with Harness(NAME) as h:
        if not os.access(hota_bin(), os.X_OK):
            h.check(False, "hota binary not found at %s (set HOTA_BIN)" % hota_bin())
            h.finish()
        if not shutil.which("openssl"):
            h.skip("openssl CLI not found")
        keys = make_keys(h)
        test_key_digest(h, keys)
        test_sign(h, keys)
        test_refusals(h, keys)
        h.finish()


if __name__ == "__main__":
    main()
