"""`hota demo` from nothing: no vectors, no openssl CLI (PATH holds nothing), HOME, TMPDIR and
the working directory in a fresh temporary directory. Checks the exit code, the key lines and
figures (update ok, factory 1.0.0 at the first boot, ota_0 PENDING_VERIFY then VALID with
version 2.0.0, the server saw our close_notify), that no `hota serve` is left running, that the
temporary directory is removed (and kept with --keep, where the device is then inspected with
`hota flash info`), usage errors, and that a demo process that dies mid-update (injected power
cut) takes its server with it."""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotatest  # noqa: E402

RUN_TIMEOUT = 60.0
HOTA = os.path.abspath(hotatest.hota_bin())


def clean_env(h):
    """An environment with nothing but the temporary HOME, TMPDIR and an empty PATH."""
    env = {}
    for name in ("home", "tmp", "cwd", "bin"):
        os.makedirs(h.path(name), exist_ok=True)
    env["HOME"] = h.path("home")
    env["TMPDIR"] = h.path("tmp")
    env["PATH"] = h.path("bin")
    env["LC_ALL"] = "C"
    return env


def run_demo(h, args=(), extra_env=None):
    env = clean_env(h)
    env.update(extra_env or {})
    t0 = time.monotonic()
    try:
        cp = subprocess.run([HOTA, "demo"] + list(args), cwd=h.path("cwd"),
                            env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=RUN_TIMEOUT, preexec_fn=hotatest._die_with_parent)
    except subprocess.TimeoutExpired as e:
        h.check(False, "hota demo finishes within %.0f s" % RUN_TIMEOUT, e)
        return None
    cp.elapsed = time.monotonic() - t0
    cp.detail = "rc=%s\n--- stdout\n%s--- stderr\n%s" % (cp.returncode, cp.stdout, cp.stderr)
    return cp


def processes_mentioning(text):
    """(pid, cmdline) of every live process whose command line contains text."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if text in cmd:
            found.append((int(pid), cmd))
    return found


def server_pid(out):
    m = re.search(r"hota serve \(pid (\d+)\)", out)
    return int(m.group(1)) if m else None


def check_no_server(h, cp, what, wait=0.0):
    """No process mentions our temp dir, and the server pid printed is gone (or reused)."""
    deadline = time.monotonic() + wait
    left = processes_mentioning(h.tmp)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = processes_mentioning(h.tmp)
    h.check(not left, "%s: no process left behind" % what, left)
    pid = server_pid(cp.stdout)
    h.check(pid is not None, "%s: the server's pid is printed" % what, cp.detail)
    if pid is not None:
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            cmd = ""
        h.check(" serve " not in cmd, "%s: server pid %d has exited" % (what, pid), cmd)


def line_index(lines, pattern):
    for i, line in enumerate(lines):
        if re.search(pattern, line):
            return i
    return -1


def check_story(h, cp):
    """The key lines, in order, with their figures."""
    out, lines = cp.stdout, cp.stdout.splitlines()
    steps = [
        ("first boot: factory 1.0.0", r"\] boot +partition factory, state none, version 1\.0\.0"),
        ("update ok", r"^\s+update ok: \d+ bytes, framing close"),
        ("boot: ota_0 PENDING_VERIFY 2.0.0",
         r"\] boot +partition ota_0, state PENDING_VERIFY, version 2\.0\.0"),
        ("confirm: ota_0 VALID 2.0.0", r"\] confirm +partition ota_0, state VALID, version 2\.0\.0"),
        ("boot again: ota_0 VALID 2.0.0", r"\] boot +partition ota_0, state VALID, version 2\.0\.0"),
        ("final line", r"^demo ok in [0-9.]+ s"),
    ]
    last = -1
    for what, pattern in steps:
        i = line_index(lines[last + 1:], pattern)
        h.check(i >= 0, "line after the previous one: %s" % what, cp.detail)
        if i >= 0:
            last += 1 + i
    m = re.search(r"v2\.0\.0 \(update, (\d+) bytes\)", out)
    u = re.search(r"update ok: (\d+) bytes", out)
    t = re.search(r"tail_ms (\d+), elapsed (\d+) ms", out)
    h.check(m and u and m.group(1) == u.group(1), "bytes downloaded = the signed image's size",
            cp.detail)
    h.check(t and int(t.group(1)) < 1000 and int(t.group(2)) < 5000,
            "tail_ms and elapsed well under the server's 5 s hold", cp.detail)
    h.check(re.search(r"1 connection\(s\), 1 handshake\(s\),", out) and
            re.search(r"flash_ops [1-9]\d*; ota_0 holds v2\.0\.0", out),
            "one connection, one handshake, flash operations counted", cp.detail)
    h.check("our close_notify arrived: yes" in out and "close_notify_exchanged" in out,
            "the server's status file shows our close_notify", cp.detail)
    for ev in ("START", "CONNECTED HTTP/1.0 200, framing close", "GET_IMG_DESC hota-demo 2.0.0",
               "WRITE_FLASH", "UPDATE_BOOT_PARTITION ota_0", "FINISH"):
        h.check(re.search(r"^\s+%s" % re.escape(ev), out, re.M), "event line %s" % ev,
                cp.detail)


def test_fresh(h):
    cp = run_demo(h)
    if cp is None:
        return
    h.check(cp.returncode == 0, "hota demo exits 0", cp.detail)
    h.check(cp.elapsed < 20, "hota demo takes a few seconds (%.1f s)" % cp.elapsed)
    check_story(h, cp)
    check_no_server(h, cp, "fresh run")
    for name in ("tmp", "home", "cwd"):
        left = os.listdir(h.path(name))
        h.check(not left, "nothing left in %s after the run" % name, left)


def test_keep(h):
    work = h.path("kept")
    cp = run_demo(h, ["--dir", work, "--keep"])
    if cp is None:
        return
    h.check(cp.returncode == 0, "hota demo --dir --keep exits 0", cp.detail)
    check_no_server(h, cp, "--keep run")
    for name in ("flash.bin", "flash.bin.efuse", "www/app-2.0.0.bin", "factory-1.0.0.bin",
                 "signing-key.pem", "signing-key.pub.pem", "ca.pem", "serve-status.jsonl"):
        h.check(os.path.isfile(os.path.join(work, name)), "--keep keeps %s" % name)
    info = subprocess.run([HOTA, "flash", "info", os.path.join(work, "flash.bin"),
                           "--json"], capture_output=True, text=True, timeout=30)
    try:
        js = json.loads(info.stdout)
    except ValueError:
        js = {}
    app = js.get("apps", {}).get("ota_0", {})
    h.check(js.get("running") == "ota_0" and app.get("verifies") and
            app.get("version") == "2.0.0", "the kept device runs a verified 2.0.0 on ota_0",
            info.stdout + info.stderr)
    h.check(js.get("efuse", {}).get("secure_boot") and len(js["efuse"]["key_digests"]) == 1,
            "the kept device has Secure Boot with one key digest", info.stdout)
    states = [e.get("state") for e in js.get("otadata", []) if e.get("active")]
    h.check(states == ["VALID"], "the active otadata entry is VALID", js.get("otadata"))
    with open(os.path.join(work, "serve-status.jsonl")) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    h.check(len(rows) == 1 and rows[0].get("peer_close_notify") is True and
            rows[0].get("framing") == "close", "one status line: close framing, our close_notify",
            rows)
    cp = run_demo(h, ["--dir", work])
    if cp is None:
        return
    h.check(cp.returncode == 0, "a second run in the same --dir exits 0", cp.detail)
    left = sorted(os.listdir(work))
    h.check(left == ["www"] and not os.listdir(os.path.join(work, "www")),
            "without --keep the files are removed, the existing folders stay", left)


def test_usage(h):
    for args, what in ((["--bogus"], "unknown option"), (["extra"], "positional argument"),
                       (["--dir"], "--dir without a value")):
        cp = run_demo(h, args)
        if cp is not None:
            h.check(cp.returncode == hotatest.EXIT["usage"], "%s: exit 2" % what, cp.detail)
    blocker = h.write("a-file", "not a directory")
    cp = run_demo(h, ["--dir", blocker])
    if cp is not None:
        h.check(cp.returncode not in (0, None) and "FAILED" in cp.stderr,
                "--dir naming a file fails with a message", cp.detail)


def test_dies_mid_update(h):
    """An injected power cut ends the demo process during the download: its server goes too."""
    cp = run_demo(h, extra_env={"HOTA_FLASH_FAULT": "cut@200"})
    if cp is None:
        return
    h.check(cp.returncode == 99, "the injected power cut ends the demo with 99", cp.detail)
    h.check("CONNECTED" in cp.stdout and "update ok" not in cp.stdout,
            "the cut came during the download", cp.detail)
    check_no_server(h, cp, "after the cut", wait=3.0)


def main():
    with hotatest.Harness("test_demo") as h:
        if not os.access(HOTA, os.X_OK):
            h.check(False, "hota binary not found at %s (set HOTA_BIN)" % HOTA)
            h.finish()
        test_fresh(h)
        test_keep(h)
        test_usage(h)
        test_dies_mid_update(h)
        h.finish()


if __name__ == "__main__":
    main()
