"""`hota update` against a hostile network and misbehaving servers (fault_proxy.py).

Through FaultProxy in front of `hota serve` (Content-Length, keep-alive, Range):
- the proxy itself: `hota fetch` through FIN at byte N gets exactly N bytes, TRUNCATED;
- reset at byte N, FIN at byte N: the same run reconnects with Range and succeeds;
- a stall longer than --timeout-ms: TIMEOUT fires within +-20 % of the configured value on
  every attempt (measured at the proxy: stall start -> the client closing); once mid-body ->
  the retry succeeds; on every connection before the server's first byte (handshake) ->
  final TIMEOUT (exit 4) after 1 + 5 attempts, within the retry budget's bound;
- one byte per TCP send: succeeds.
MisbehavingServer:
- 503 on every request: retried, then the final HTTP_STATUS (exit 6) within a bounded time;
- slowloris response head (one byte per 0.4 s): TIMEOUT within the same bound;
- endless chunked body (the image, then random chunks): the image completes, reading stops,
  the update succeeds without waiting and memory stays bounded (VmHWM < 64 MiB);
- huge Content-Length (16 GiB): IMAGE_TOO_LARGE before any flash operation.
The device's otadata is unchanged and it still boots v1 after every failure.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hotatest import (EXIT, Device, Harness, fmt_table, log, make_image,  # noqa: E402
                      read_file, run_update, start_hota_serve)
from fault_proxy import FaultProxy, MisbehavingServer, Rule  # noqa: E402

NAME = "test_hostile_network"
TIMEOUT_MS = 1500
RETRIES = 5               # engine default (HOTA_OTA_DEFAULT_MAX_RETRIES)
BACKOFF_S = 0.1 + 0.2 + 0.4 + 0.8 + 1.6
VMHWM_CAP_KB = 64 * 1024


def retry_bound_s(timeout_ms=TIMEOUT_MS):
    """Longest a run may take when every attempt times out."""
    return (RETRIES + 1) * timeout_ms / 1000.0 * 1.2 + BACKOFF_S + 2.0


class Watch:
    """Samples VmHWM of the running process from /proc/<pid>/status."""

    def __init__(self):
        self.max_kb = 0
        self.samples = 0

    def __call__(self, p):
        threading.Thread(target=self.run, args=(p,), daemon=True).start()

    def run(self, p):
        path = "/proc/%d/status" % p.pid
        while p.poll() is None:
            try:
                with open(path) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            self.max_kb = max(self.max_kb, int(line.split()[1]))
                            self.samples += 1
            except (OSError, ValueError):
                pass
            time.sleep(0.01)


class T:
    def __init__(self, h):
        self.h = h
        self.certs = h.certs()
        os.makedirs(h.path("www"), exist_ok=True)
        self.v1 = make_image(h, "v1", 100000)
        self.v2 = make_image(h, "v2", 400000, name=os.path.join("www", "v2.bin"))
        self.small = make_image(h, "v2", 32768, name=os.path.join("www", "small.bin"))
        self.base = Device(h, "base", self.v1)
        self.rows = []
        _, port, _ = start_hota_serve(h, h.path("www"), self.certs)
        self.proxy = FaultProxy(port).start()
        h.on_close(self.proxy.stop)
        self.ms = MisbehavingServer(self.certs.server, self.certs.server_key, h.path("www"),
                                    slow_interval=0.4, max_conn_s=40).start()
        h.on_close(self.ms.stop)

    def dev(self):
        return Device.copy(self.h, self.base, "d%d" % len(self.rows))

    def update(self, url, dev, timeout_ms=TIMEOUT_MS, bound=None, on_start=None):
        return run_update(self.h, url, dev, ca=self.certs.ca, timeout_ms=timeout_ms,
                          proc_timeout=bound or retry_bound_s(timeout_ms) + 10,
                          on_start=on_start)

    def ok(self, name, res, dev, image, note=""):
        h, js = self.h, res.js or {}
        h.check(res.rc == 0 and js.get("result") == "ok", "[%s] update ok" % name, res)
        data = read_file(image)
        h.check(dev.read_slot("ota_0")[:len(data)] == data, "[%s] slot holds the image" % name)
        b = dev.boot() or {}
        h.check((b.get("partition"), b.get("state")) == ("ota_0", "PENDING_VERIFY"),
                "[%s] boots the new app: %s" % (name, b))
        self.row(name, "ok", res, note)

    def fail(self, name, res, dev, errors, code, before, note=""):
        h, js = self.h, res.js or {}
        h.check(res.rc is not None, "[%s] finished within its bound (%.1f s)"
                % (name, res.elapsed), res)
        h.check(js.get("error") in errors, "[%s] error %s, got %s"
                % (name, "|".join(errors), js.get("error")), res)
        h.check(res.rc == code, "[%s] exit %d, got %s" % (name, code, res.rc), res)
        h.check(dev.otadata() == before, "[%s] otadata unchanged" % name)
        b = dev.boot() or {}
        h.check((b.get("partition"), b.get("version")) == ("factory", "v1"),
                "[%s] still boots factory v1: %s" % (name, b))
        self.row(name, "|".join(errors), res, note)

    def row(self, name, want, res, note):
        js = res.js or {}
        got = js.get("result") if js.get("result") == "ok" else js.get("error")
        self.rows.append([name, want, got, res.rc, js.get("requests"), js.get("retries"),
                          js.get("bytes"), js.get("elapsed_ms"), note])

    def purl(self, name="v2.bin"):
        return "https://localhost:%d/%s" % (self.proxy.port, name)


def proxy_self_test(t):
    """The proxy cuts where it is told: `hota fetch` through FIN at byte N receives exactly
    N bytes of TCP payload (handshake included) and reports a truncated body."""
    h = t.h
    n = 60000
    first = t.proxy.count()
    t.proxy.set_rules([Rule(fin_at=n)], default=Rule())
    res = h.run_fetch(t.purl(), ca=t.certs.ca, timeout_ms=5000)
    t.proxy.wait_idle(5)
    recs = t.proxy.records()[first:]
    h.check(len(recs) == 1 and recs[0]["down_bytes"] == n and recs[0]["fault"] ==
            "fin at %d" % n, "[proxy] one connection cut by FIN at exactly %d bytes: %s"
            % (n, recs))
    h.check(res.rc == EXIT["truncated"] and (res.js or {}).get("error") == "TRUNCATED",
            "[proxy] hota fetch sees TRUNCATED", res)
    h.check(0 < ((res.js or {}).get("bytes") or 0) < n,
            "[proxy] fewer body bytes than the cut: %s" % (res.js or {}).get("bytes"), res)


def resets(t):
    for name, rule in (("reset at byte 150000", Rule(reset_at=150000)),
                       ("FIN at byte 150000", Rule(fin_at=150000))):
        dev = t.dev()
        t.proxy.set_rules([rule], default=Rule())
        res = t.update(t.purl(), dev)
        js = res.js or {}
        t.h.check((js.get("requests") or 0) >= 2 and js.get("resumed_from") == 0,
                  "[%s] resumed in the same run: requests %s" % (name, js.get("requests")), res)
        t.ok(name, res, dev, t.v2)


def stall_gaps(t, first):
    """Stall -> client close, in ms, for the connections from `first` on that stalled."""
    return [round((r["t_client_closed"] - r["t_fault"]) * 1000)
            for r in t.proxy.records()[first:]
            if r["t_fault"] is not None and r["t_client_closed"] is not None]


def stalls(t):
    h = t.h
    lo, hi = 0.8 * TIMEOUT_MS, 1.2 * TIMEOUT_MS
    dev = t.dev()
    first = t.proxy.count()
    t.proxy.set_rules([Rule(stall_at=120000, stall_ms=30000)], default=Rule())
    res = t.update(t.purl(), dev)
    t.proxy.wait_idle(5)
    gaps = stall_gaps(t, first)
    h.check(len(gaps) == 1 and all(lo <= g <= hi for g in gaps),
            "[stall once] the timeout fired %s ms after the stall (%d +-20%%)"
            % (gaps, TIMEOUT_MS))
    t.ok("stall 30 s mid-body once", res, dev, t.v2, "timeout after %s ms" % gaps)

    dev = t.dev()
    before = dev.otadata()
    first = t.proxy.count()
    # every connection stalls before the server's first byte: no attempt makes progress
    t.proxy.set_rules(default=Rule(stall_at=0, stall_ms=30000))
    res = t.update(t.purl(), dev)
    t.proxy.set_rules(default=Rule())
    t.proxy.wait_idle(5)
    gaps = stall_gaps(t, first)
    h.check(len(gaps) == RETRIES + 1, "[stall always] %d attempts, got %d"
            % (RETRIES + 1, len(gaps)))
    h.check(gaps and all(lo <= g <= hi for g in gaps),
            "[stall always] every timeout within %d +-20%%: %s ms" % (TIMEOUT_MS, gaps))
    h.check(res.elapsed <= retry_bound_s(), "[stall always] done in %.1f s <= %.1f s"
            % (res.elapsed, retry_bound_s()))
    t.fail("stall 30 s at handshake, always", res, dev, ("TIMEOUT",), EXIT["timeout"], before,
           "timeouts %s ms" % gaps)


def drip(t):
    dev = t.dev()
    t.proxy.set_rules(default=Rule(drip=True))
    res = t.update(t.purl("small.bin"), dev, timeout_ms=10000, bound=120)
    t.proxy.set_rules(default=Rule())
    t.ok("one byte per TCP send", res, dev, t.small)


def server_errors(t):
    h = t.h
    dev = t.dev()
    before = dev.otadata()
    res = t.update("https://localhost:%d/status/503/v2.bin" % t.ms.port, dev)
    n = len(t.ms.requests("/status/503"))
    h.check(n == RETRIES + 1, "[503] the server saw %d requests (1 + %d retries)"
            % (n, RETRIES))
    h.check(res.elapsed <= retry_bound_s(), "[503] done in %.1f s" % res.elapsed)
    t.fail("503 on every request", res, dev, ("HTTP_STATUS",), EXIT["http"], before,
           "%d requests at the server" % n)

    dev = t.dev()
    before = dev.otadata()
    res = t.update("https://localhost:%d/slowloris/v2.bin" % t.ms.port, dev)
    h.check(res.elapsed <= retry_bound_s(), "[slowloris] done in %.1f s <= %.1f s"
            % (res.elapsed, retry_bound_s()), res)
    t.fail("slowloris head (1 byte / 0.4 s)", res, dev, ("TIMEOUT", "NO_BODY_END"),
           EXIT["timeout"], before, "%d requests" % len(t.ms.requests("/slowloris")))


def endless(t):
    h = t.h
    dev = t.dev()
    w = Watch()
    res = t.update("https://localhost:%d/endless/v2.bin" % t.ms.port, dev, timeout_ms=10000,
                   bound=60, on_start=w)
    js = res.js or {}
    reqs = t.ms.requests("/endless")
    trailing = reqs[-1].get("trailing_sent") if reqs else None
    h.check(js.get("bytes") == os.path.getsize(t.v2), "[endless] bytes %s == image size %d"
            % (js.get("bytes"), os.path.getsize(t.v2)), res)
    h.check(isinstance(js.get("elapsed_ms"), int) and js["elapsed_ms"] < 3000,
            "[endless] stopped reading without waiting: elapsed_ms %s" % js.get("elapsed_ms"))
    h.check(w.samples > 0 and w.max_kb < VMHWM_CAP_KB, "[endless] VmHWM %d kB < %d kB (%d "
            "samples)" % (w.max_kb, VMHWM_CAP_KB, w.samples))
    t.ok("endless chunked body", res, dev, t.v2, "VmHWM %d kB, %s junk bytes sent"
         % (w.max_kb, trailing))


def huge(t):
    h = t.h
    dev = t.dev()
    before = dev.otadata()
    snap = dev.snapshot()
    res = t.update("https://localhost:%d/huge/v2.bin" % t.ms.port, dev, timeout_ms=5000)
    js = res.js or {}
    h.check(js.get("flash_ops") == 0 and dev.snapshot() == snap,
            "[huge] refused before any flash operation (flash_ops %s, files unchanged)"
            % js.get("flash_ops"), res)
    h.check(isinstance(js.get("elapsed_ms"), int) and js["elapsed_ms"] < 2000,
            "[huge] refused at once: elapsed_ms %s" % js.get("elapsed_ms"), res)
    t.fail("Content-Length 16 GiB", res, dev, ("IMAGE_TOO_LARGE",), EXIT["device"], before)


def main():
    with Harness(NAME) as h:
        h.need_hota()
        t = T(h)
        proxy_self_test(t)
        resets(t)
        stalls(t)
        drip(t)
        server_errors(t)
        endless(t)
        huge(t)
        log("")
        log(fmt_table(t.rows, ["case", "expected", "got", "rc", "requests", "retries",
                               "bytes", "elapsed_ms", "measured"]))
        log("")
    h.finish()


if __name__ == "__main__":
    main()
