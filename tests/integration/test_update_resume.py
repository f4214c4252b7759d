"""`hota update` interrupted and resumed.

Server: `hota serve` (Content-Length, keep-alive, Range, ETag) behind fault_proxy.FaultProxy,
which throttles the download so that interruptions land mid-body.

1. kill -9 of `hota update` at several points (when the progress record covers N bytes, or
   after a delay); the next `hota update` of the same URL resumes: resumed_from equals the
   record's N (> 0), the bytes served again are at most total - resumed_from + one request of
   overhead (65536), and the slot holds the image byte for byte.
2. HOTA_FLASH_FAULT=cut@K (power cut at the K-th flash operation): exit 99, then resume.
3. Resets injected by the proxy mid-body: the same run reconnects with Range and succeeds
   (requests > 1).
4. The file changes on the server between the kill and the retry, and in the middle of a run
   (the proxy resets the connection and swaps the file at that moment): the update starts
   over and the slot holds the new file exactly, never a mix.
5. --partial-size 65536 against nginx: ceil(size / 65536) requests (one more allowed), one TLS
   handshake.
"""

import math
import os
import shutil
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hotatest import (Device, Harness, fmt_table, log, make_image, read_file,  # noqa: E402
                      run_update, serve_status, start_hota_serve)
from fault_proxy import FaultProxy, Rule  # noqa: E402
import test_real_servers as real  # noqa: E402

NAME = "test_update_resume"
TIMEOUT_MS = 5000
SIZE = 700000            # image bytes
RATE = 250000            # bytes/s through the throttled proxy
PARTIAL = 65536          # allowed overhead: one request
RECORD = 65536           # progress record interval (engine default)
POWER_CUT_EXIT = 99      # CLI_EXIT_POWER_CUT


class Killer:
    """Kills the update with SIGKILL when the progress record covers `at` bytes, or after
    `delay` seconds, whichever is given."""

    def __init__(self, dev, at=None, delay=None, bound=30.0):
        self.dev, self.at, self.delay, self.bound = dev, at, delay, bound
        self.killed_at = None
        self.thread = None

    def __call__(self, p):
        self.thread = threading.Thread(target=self.watch, args=(p,), daemon=True)
        self.thread.start()

    def watch(self, p):
        t0 = time.monotonic()
        while p.poll() is None and time.monotonic() - t0 < self.bound:
            rec = self.dev.progress()
            covered = rec[2] if rec else 0
            if (self.at is not None and covered >= self.at) or \
                    (self.delay is not None and time.monotonic() - t0 >= self.delay):
                p.send_signal(signal.SIGKILL)
                self.killed_at = (covered, round(time.monotonic() - t0, 3))
                return
            time.sleep(0.005)


class Env:
    def __init__(self, h, certs):
        self.h, self.certs = h, certs
        os.makedirs(h.path("www"), exist_ok=True)
        self.v1 = make_image(h, "v1", 100000)
        self.v2 = make_image(h, "v2", SIZE)
        self.v3 = make_image(h, "v3", SIZE - 40000)
        self.base = Device(h, "base", self.v1)
        self.rows = []
        self.n = 0
        self.serve, self.port, self.status = start_hota_serve(h, h.path("www"), certs)
        self.proxy = FaultProxy(self.port).start()
        h.on_close(self.proxy.stop)

    def publish(self, image):
        """Put image at www/fw.bin (atomically, new mtime)."""
        tmp = self.h.path("www", ".fw.tmp")
        shutil.copyfile(image, tmp)
        os.replace(tmp, self.h.path("www", "fw.bin"))

    def url(self):
        return "https://localhost:%d/fw.bin" % self.proxy.port

    def device(self):
        self.n += 1
        return Device.copy(self.h, self.base, "dev%d" % self.n)

    def served_body(self, since):
        """Body bytes `hota serve` sent over the connections from line `since` on."""
        lines = serve_status(self.status)
        return sum(x.get("body_bytes", 0) for x in lines[since:]), len(lines)

    def update(self, dev, **kw):
        return run_update(self.h, self.url(), dev, ca=self.certs.ca, timeout_ms=TIMEOUT_MS,
                          proc_timeout=90, **kw)

    def check_final(self, name, dev, res, image, version):
        h, js = self.h, res.js or {}
        h.check(res.rc == 0 and js.get("result") == "ok", "[%s] update ok" % name, res)
        h.check(js.get("version") == version, "[%s] version %s, got %s"
                % (name, version, js.get("version")), res)
        label = js.get("partition") or "ota_0"
        data = read_file(image)
        slot = dev.read_slot(label)
        h.check(slot[:len(data)] == data, "[%s] slot %s holds %s byte for byte"
                % (name, label, os.path.basename(image)))
        b = dev.boot() or {}
        h.check((b.get("partition"), b.get("state"), b.get("version")) ==
                (label, "PENDING_VERIFY", version), "[%s] boot: %s" % (name, b))
        h.check(not os.path.exists(dev.path + ".progress"),
                "[%s] progress record removed after success" % name)


def kill_and_resume(env, name, at=None, delay=None):
    h = env.h
    env.publish(env.v2)
    dev = env.device()
    env.proxy.set_rules(default=Rule(rate=RATE))
    killer = Killer(dev, at=at, delay=delay)
    res1 = env.update(dev, on_start=killer)
    h.check(res1.rc == -signal.SIGKILL, "[%s] first run killed by SIGKILL (rc %s)"
            % (name, res1.rc), res1)
    env.proxy.wait_idle(10)
    rec = dev.progress()
    covered = rec[2] if rec else 0
    h.check(covered > 0 and covered % 4096 == 0,
            "[%s] progress record covers %d bytes (> 0, whole sectors)" % (name, covered))
    b = dev.boot() or {}
    h.check((b.get("partition"), b.get("version")) == ("factory", "v1"),
            "[%s] after the kill the device still boots v1: %s" % (name, b))
    env.proxy.set_rules(default=Rule())
    time.sleep(0.2)  # the server writes the killed connection's status line when it ends
    _, since = env.served_body(0)
    res2 = env.update(dev)
    js = res2.js or {}
    again, _ = env.served_body(since)
    total = os.path.getsize(env.v2)
    rf = js.get("resumed_from")
    h.check(rf == covered, "[%s] resumed_from %s == record's %d" % (name, rf, covered), res2)
    h.check(isinstance(rf, int) and rf > 0, "[%s] resumed (resumed_from > 0)" % name, res2)
    bound = total - (rf or 0) + PARTIAL
    h.check(again <= bound, "[%s] bytes served again %d <= total - resumed_from + %d = %d"
            % (name, again, PARTIAL, bound))
    env.check_final(name, dev, res2, env.v2, "v2")
    env.rows.append([name, killer.killed_at, covered, rf, again, total - (rf or 0),
                     js.get("requests"), js.get("handshakes"), js.get("result")])


def flash_cut_and_resume(env):
    h = env.h
    env.publish(env.v2)
    env.proxy.set_rules(default=Rule())
    dev = env.device()
    clean = env.update(dev)
    ops = (clean.js or {}).get("flash_ops") or 0
    h.check(clean.rc == 0 and ops > 0, "clean run for the flash op count: %s ops" % ops, clean)
    for frac in (0.5, 0.85):
        k = max(1, int(ops * frac))
        name = "power cut@%d of %d" % (k, ops)
        dev = env.device()
        res1 = env.update(dev, env={"HOTA_FLASH_FAULT": "cut@%d" % k})
        h.check(res1.rc == POWER_CUT_EXIT, "[%s] exit %d, got %s"
                % (name, POWER_CUT_EXIT, res1.rc), res1)
        b = dev.boot() or {}
        h.check((b.get("partition"), b.get("version")) == ("factory", "v1"),
                "[%s] after the power cut the device still boots v1: %s" % (name, b))
        env.proxy.wait_idle(10)
        rec = dev.progress()
        covered = rec[2] if rec else 0
        _, since = env.served_body(0)
        res2 = env.update(dev)
        js = res2.js or {}
        again, _ = env.served_body(since)
        rf = js.get("resumed_from")
        h.check(rf == covered and covered > 0,
                "[%s] resumed_from %s == record's %d (> 0)" % (name, rf, covered), res2)
        bound = os.path.getsize(env.v2) - (rf or 0) + PARTIAL
        h.check(again <= bound, "[%s] bytes served again %d <= %d" % (name, again, bound))
        env.check_final(name, dev, res2, env.v2, "v2")
        env.rows.append([name, "-", covered, rf, again, os.path.getsize(env.v2) - (rf or 0),
                         js.get("requests"), js.get("handshakes"), js.get("result")])


def resets_in_run(env):
    h = env.h
    env.publish(env.v2)
    for name, rules in (("reset at 250000", [Rule(reset_at=250000)]),
                        ("resets at 120000 x3", [Rule(reset_at=120000)] * 3)):
        dev = env.device()
        env.proxy.set_rules(rules, default=Rule())
        res = env.update(dev)
        js = res.js or {}
        h.check((js.get("requests") or 0) >= len(rules) + 1,
                "[%s] requests %s >= %d" % (name, js.get("requests"), len(rules) + 1), res)
        h.check((js.get("retries") or 0) >= len(rules), "[%s] retries %s >= %d"
                % (name, js.get("retries"), len(rules)), res)
        h.check(js.get("restarts") == 0, "[%s] no start over (restarts %s)"
                % (name, js.get("restarts")), res)
        env.check_final(name, dev, res, env.v2, "v2")
        env.rows.append([name, "-", "-", js.get("resumed_from"), "-", "-", js.get("requests"),
                         js.get("handshakes"), js.get("result")])


def changed_file(env):
    h = env.h
    # between a kill and the retry
    env.publish(env.v2)
    dev = env.device()
    env.proxy.set_rules(default=Rule(rate=RATE))
    killer = Killer(dev, at=3 * RECORD)
    res1 = env.update(dev, on_start=killer)
    h.check(res1.rc == -signal.SIGKILL, "[changed after kill] killed (rc %s)" % res1.rc, res1)
    env.proxy.wait_idle(10)
    rec = dev.progress()
    h.check(rec is not None and rec[2] > 0, "[changed after kill] record left: %s" % (rec,))
    time.sleep(1.1)  # a new mtime second as well as a new size
    env.publish(env.v3)
    env.proxy.set_rules(default=Rule())
    res2 = env.update(dev)
    js = res2.js or {}
    h.check((js.get("restarts") or 0) >= 1 or js.get("resumed_from") == 0,
            "[changed after kill] started over (restarts %s, resumed_from %s)"
            % (js.get("restarts"), js.get("resumed_from")), res2)
    env.check_final("changed after kill", dev, res2, env.v3, "v3")
    env.rows.append(["changed after kill", killer.killed_at, rec[2] if rec else None,
                     js.get("resumed_from"), "-", "-", js.get("requests"),
                     js.get("handshakes"), js.get("result")])
    # in the middle of a run: the proxy resets the connection and swaps the file
    env.publish(env.v2)
    time.sleep(1.1)
    dev = env.device()
    env.proxy.set_rules([Rule(reset_at=300000, hook=lambda rec: env.publish(env.v3))],
                        default=Rule())
    res = env.update(dev)
    js = res.js or {}
    h.check((js.get("restarts") or 0) >= 1, "[changed mid-run] started over (restarts %s)"
            % js.get("restarts"), res)
    env.check_final("changed mid-run", dev, res, env.v3, "v3")
    env.rows.append(["changed mid-run", "-", "-", js.get("resumed_from"), "-", "-",
                     js.get("requests"), js.get("handshakes"), js.get("result")])


def partial_nginx(env):
    h = env.h
    shutil.copyfile(env.v2, h.path("www", "ng.bin"))
    started = real.start_nginx(h, env.certs)
    if started is None:
        h.check(False, "nginx is required (%s not installed)" % real.NGINX)
        return
    port, _ = started
    dev = env.device()
    res = run_update(h, "https://localhost:%d/ng.bin" % port, dev, ca=env.certs.ca,
                     timeout_ms=TIMEOUT_MS, extra=["--partial-size", str(PARTIAL)])
    js = res.js or {}
    want = math.ceil(os.path.getsize(env.v2) / PARTIAL)
    h.check(js.get("requests") in (want, want + 1), "[nginx partial] requests %s, want %d (+1)"
            % (js.get("requests"), want), res)
    h.check(js.get("handshakes") == 1, "[nginx partial] handshakes %s == 1"
            % js.get("handshakes"), res)
    with open(h.path("nginx", "access.log")) as f:
        ranged = [ln for ln in f if "/ng.bin" in ln and '" 206 ' in ln]
    h.check(len(ranged) in (want, want + 1), "[nginx partial] nginx logged %d 206 responses"
            % len(ranged))
    env.check_final("nginx partial 64K", dev, res, env.v2, "v2")
    env.rows.append(["nginx --partial-size 65536", "-", "-", js.get("resumed_from"), "-", "-",
                     js.get("requests"), js.get("handshakes"), js.get("result")])


def main():
    with Harness(NAME) as h:
        h.need_hota()
        env = Env(h, h.certs())
        for at in (2 * RECORD, 5 * RECORD, 9 * RECORD):
            kill_and_resume(env, "kill -9 at record >= %d" % at, at=at)
        kill_and_resume(env, "kill -9 after 1.5 s", delay=1.5)
        flash_cut_and_resume(env)
        resets_in_run(env)
        changed_file(env)
        partial_nginx(env)
        log("")
        log(fmt_table(env.rows, ["case", "killed at (record, s)", "record N", "resumed_from",
                                 "bytes served again", "total - resumed_from", "requests",
                                 "handshakes", "result"]))
        log("")
    h.finish()


if __name__ == "__main__":
    main()
