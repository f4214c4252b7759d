"""Power-fail sweep of a whole update: `flash write --ota` (begin/write/end through the slot
operations), `flash set-boot`, first `boot`, `confirm`. The sequence is run once without faults
to count its flash operations N; then for every i in 1..N, on a fresh copy of the device, the
power is cut (cut@i, then torn@i) at the i-th operation: the command must exit 99, the next
`hota boot` must start the old app or the new one (a complete, verified image), and the update retried
without faults must succeed and end on the new app, VALID: the whole sequence again when the
old app runs, or only the confirmation when the new app already runs (PENDING_VERIFY)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HOTA = os.environ.get("HOTA_BIN", "hota")
IMG_SIZE = 32768


def run(args, fault=None, check=None):
    env = dict(os.environ)
    env.pop("HOTA_FLASH_FAULT", None)
    if fault:
        env["HOTA_FLASH_FAULT"] = fault
    p = subprocess.run([HOTA] + args, capture_output=True, text=True, env=env, timeout=60)
    if check is not None and p.returncode != check:
        sys.exit("FAIL: %s -> %d (want %d)\n%s%s" % (args, p.returncode, check, p.stdout, p.stderr))
    return p


def js(p):
    return json.loads(p.stdout)


def make_image(path, version):
    run(["image", "create", "--project", "pf", "--version", version, "--size", str(IMG_SIZE),
         "-o", path], check=0)


def copy_device(src, dst):
    shutil.copyfile(src, dst)
    shutil.copyfile(src + ".efuse", dst + ".efuse")


def steps(flash, image, label):
    """The update sequence; label None = take it from the write's report."""
    return [["flash", "write", flash, "--ota", image, "--json"],
            ["flash", "set-boot", flash, label, "--json"],
            ["boot", flash, "--json"],
            ["confirm", flash, "--json"]]


def run_sequence(flash, image, fault_step=None, fault=None):
    """Run the sequence; returns (ops per step, exit code of the faulted step or 0)."""
    ops, label = [], None
    for k, args in enumerate(steps(flash, image, "ota_1")):
        if k == 1:
            args[3] = label
        f = fault if k == fault_step else None
        p = run(args, fault=f)
        if f:
            return ops, p.returncode
        if p.returncode != 0:
            sys.exit("FAIL: %s -> %d\n%s%s" % (args, p.returncode, p.stdout, p.stderr))
        r = js(p)
        if k == 0:
            label = r["partition"]
        ops.append(r["flash_ops"])
    return ops, 0


def locate(ops, i):
    """Global operation i (from 1) -> (step, local operation number)."""
    for k, n in enumerate(ops):
        if i <= n:
            return k, i
        i -= n
    raise AssertionError("operation out of range")


def main():
    tmp = tempfile.mkdtemp(prefix="hota-pf-")
    try:
        return sweep(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def base_device(tmp):
    v0, v1, v2 = (os.path.join(tmp, v + ".bin") for v in ("v0", "v1", "v2"))
    for path, v in ((v0, "v0"), (v1, "v1"), (v2, "v2")):
        make_image(path, v)
    base = os.path.join(tmp, "base.flash")
    run(["flash", "create", base, "--factory", v0, "--json"], check=0)
    run(["boot", base, "--json"], check=0)
    run(["flash", "install", base, v1, "--json"], check=0)
    r = js(run(["boot", base, "--json"], check=0))
    assert (r["partition"], r["version"]) == ("ota_0", "v1"), r
    run(["confirm", base, "--json"], check=0)
    return base, v2


def sweep(tmp):
    base, v2 = base_device(tmp)
    old, new = ("ota_0", "v1"), ("ota_1", "v2")
    dev = os.path.join(tmp, "dev.flash")
    copy_device(base, dev)
    ops, _ = run_sequence(dev, v2)
    n = sum(ops)
    r = js(run(["boot", dev, "--json"], check=0))
    assert (r["partition"], r["version"], r["state"]) == ("ota_1", "v2", "VALID"), r
    print("clean run: flash operations per step (write, set-boot, boot, confirm) %s, N = %d"
          % (ops, n), flush=True)
    assert n == 2 * (IMG_SIZE // 4096) + 6, ops
    outcomes = {"cut": {"old": 0, "new": 0}, "torn": {"old": 0, "new": 0}}
    tried = 0
    for kind in ("cut", "torn"):
        for i in range(1, n + 1):
            copy_device(base, dev)
            step, local = locate(ops, i)
            _, rc = run_sequence(dev, v2, step, "%s@%d" % (kind, local))
            assert rc == 99, "%s@%d (step %d op %d): exit %d, want 99" % (kind, i, step, local, rc)
            r = js(run(["boot", dev, "--json"], check=0))
            got = (r["partition"], r["version"])
            assert got in (old, new), "%s@%d: booted %s" % (kind, i, got)
            outcomes[kind]["old" if got == old else "new"] += 1
            print("%s@%d (step %d, operation %d): booted %s %s" % (kind, i, step, local, got[0], got[1]),
                  flush=True)
            if got == old:
                run_sequence(dev, v2)
            else:
                # the new app runs unconfirmed: the rest of the sequence is its confirmation
                assert r["state"] == "PENDING_VERIFY", r
                run(["confirm", dev, "--json"], check=0)
            r = js(run(["boot", dev, "--json"], check=0))
            assert (r["partition"], r["version"], r["state"]) == ("ota_1", "v2", "VALID"), \
                "%s@%d retry: %s" % (kind, i, r)
            tried += 1
    print("power cuts tried: %d (cut@1..%d and torn@1..%d)" % (tried, n, n))
    for kind in ("cut", "torn"):
        print("%s: booted old app %d times, new app %d times"
              % (kind, outcomes[kind]["old"], outcomes[kind]["new"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
