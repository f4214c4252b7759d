#!/usr/bin/env python3
"""hota benchmark: throughput against the mbedTLS ceiling and curl, tail latency, peak heap,
instructions per MiB by layer, and waste (re-downloads, handshakes, flash erases).

Run through bench/run.sh (installs packages, builds with -DHOTA_BENCH=ON). Everything runs on
loopback in one temporary directory; nginx gets its own configuration there. Python 3 stdlib.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

MIB = 1024 * 1024
CIPHERS = {"aes128-gcm": "ECDHE-ECDSA-AES128-GCM-SHA256",
           "chacha20": "ECDHE-ECDSA-CHACHA20-POLY1305"}
FRAMINGS = ["content-length", "chunked", "close"]
ENDINGS = ["close_notify", "close_notify+fin", "fin", "reset", "keep-alive"]
# hota image create accepts at most 4 MiB (the ESP32 flash MMU windows), a slot at most 16 MiB.
UPDATE_MAX = 4 * MIB


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"port {port} did not open")


def run(cmd, timeout=300, env=None, check=True):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def timed(cmd, timeout=300, env=None, stdout=subprocess.PIPE):
    """Run cmd; returns (wall seconds, CPU seconds user+sys of the process, result)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    wall = time.perf_counter() - t0
    # communicate() reaped the child: its rusage is in RUSAGE_CHILDREN; take the difference.
    return wall, subprocess.CompletedProcess(cmd, p.returncode, out or "", err or "")


class CpuClock:
    """CPU time (user+sys) used by finished children since the last call."""

    def __init__(self):
        self.last = self.now()

    @staticmethod
    def now():
        import resource
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    def lap(self):
        n = self.now()
        d, self.last = n - self.last, n
        return d


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    return None


def median(xs):
    return statistics.median(xs) if xs else float("nan")


class Bench:
    def __init__(self, args):
        self.a = args
        self.build = os.path.abspath(args.build)
        self.hota = os.path.abspath(args.hota_bin or os.path.join(self.build, "hota"))
        self.ceiling = os.path.join(self.build, "bench", "hota_bench_ceiling")
        self.fetch_api = os.path.join(self.build, "bench", "hota_bench_fetch")
        self.hook = os.path.join(self.build, "bench", "libhota_bench_hook.so")
        self.tmp = tempfile.mkdtemp(prefix="hota-bench-")
        self.procs = []
        self.rows = []          # every reported number: dict(section, name, value, unit, ...)
        self.tables = []        # (title, header, rows) for printing

    # ---------------------------------------------------------------- infrastructure
    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if not self.a.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            log(f"kept {self.tmp}")

    def record(self, section, name, value, unit, **extra):
        self.rows.append(dict(section=section, name=name, value=value, unit=unit, **extra))

    def make_pki(self):
        d = self.path("pki")
        os.makedirs(d)
        ossl = ["openssl"]
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        run(ossl + ["req", "-x509", *ec, "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem",
                    "-days", "30", "-subj", "/CN=hota bench CA"])
        run(ossl + ["req", *ec, "-keyout", f"{d}/server.key", "-out", f"{d}/server.csr",
                    "-subj", "/CN=localhost"])
        with open(f"{d}/ext.cnf", "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                    "extendedKeyUsage=serverAuth\n")
        run(ossl + ["x509", "-req", "-in", f"{d}/server.csr", "-CA", f"{d}/ca.pem", "-CAkey",
                    f"{d}/ca.key", "-CAcreateserial", "-out", f"{d}/server.pem", "-days", "30",
                    "-extfile", f"{d}/ext.cnf"])
        self.ca = f"{d}/ca.pem"
        self.cert, self.key = f"{d}/server.pem", f"{d}/server.key"

    def make_content(self):
        www = self.path("www")
        os.makedirs(www)
        self.www = www
        for mib in self.fetch_sizes:
            with open(os.path.join(www, f"body{mib}.bin"), "wb") as f:
                for _ in range(mib):
                    f.write(os.urandom(MIB))
        for size in self.update_sizes + [256 * 1024]:
            run([self.hota, "image", "create", "--project", "bench", "--version", "2.0",
                 "--size", str(size), "-o", os.path.join(www, f"img{size}.bin")])
        # A device whose OTA slots hold the largest image (slots <= 16 MiB, flash <= 128 MiB).
        csv = self.path("table.csv")
        with open(csv, "w") as f:
            f.write("nvs,data,nvs,,0x4000,\notadata,data,ota,,0x2000,\nphy_init,data,phy,,0x1000,\n"
                    "ota_0,app,ota_0,,6M,\nota_1,app,ota_1,,6M,\n")
        self.flash_tpl = self.path("flash-template.bin")
        run([self.hota, "flash", "create", self.flash_tpl, "--size", "16MB", "--table", csv])
        self.small_tpl = self.path("flash-small.bin")
        run([self.hota, "flash", "create", self.small_tpl, "--size", "4MB"])

    def fresh_flash(self, tpl, name="flash.bin"):
        dst = self.path(name)
        for suffix in ("", ".efuse"):
            if os.path.exists(tpl + suffix):
                shutil.copyfile(tpl + suffix, dst + suffix)
        if os.path.exists(dst + ".progress"):
            os.remove(dst + ".progress")
        return dst

    def start_nginx(self):
        d = self.path("nginx")
        os.makedirs(d)
        self.ports = {c: free_port() for c in CIPHERS}
        servers = ""
        for c, port in self.ports.items():
            ciphers = CIPHERS[c] if c != "aes128-gcm" else \
                f"{CIPHERS['aes128-gcm']}:{CIPHERS['chacha20']}"
            servers += f"""
    server {{
        listen 127.0.0.1:{port} ssl;
        root {self.www};
        ssl_certificate {self.cert};
        ssl_certificate_key {self.key};
        ssl_protocols TLSv1.2;
        ssl_ciphers {ciphers};
        ssl_prefer_server_ciphers on;
        access_log {d}/access-{c}.log bench;
    }}"""
        conf = f"""daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    types {{ }}
    default_type application/octet-stream;
    log_format bench '$connection $connection_requests "$request" $status $body_bytes_sent '
                     '"$http_range" $ssl_cipher $ssl_session_reused';
    sendfile off;
    keepalive_timeout 30s;
    keepalive_requests 100000;
    ssl_session_cache shared:bench:1m;
    ssl_session_tickets on;{servers}
}}
"""
        with open(f"{d}/nginx.conf", "w") as f:
            f.write(conf)
        p = subprocess.Popen(["nginx", "-p", d, "-c", f"{d}/nginx.conf"],
                             stdout=subprocess.DEVNULL, stderr=open(f"{d}/stderr", "w"))
        self.procs.append(p)
        for port in self.ports.values():
            wait_port(port)
        self.nginx_dir = d

    def url(self, name, cipher="aes128-gcm", host="localhost", port=None):
        return f"https://{host}:{port or self.ports[cipher]}/{name}"

    # ---------------------------------------------------------------- clients
    def cmd_hota_fetch(self, name, cipher):
        out = self.path("out.bin")
        return [self.hota, "fetch", self.url(name, cipher), "-o", out, "--ca", self.ca,
                "--json", "--quiet", "--timeout-ms", "60000"]

    def cmd_curl(self, name, cipher):
        return ["curl", "-sS", "--fail", "--tlsv1.2", "--tls-max", "1.2", "--cacert", self.ca,
                "-o", self.path("out-curl.bin"), self.url(name, cipher)]

    def cmd_ceiling(self, name, cipher, sha=False, extra=()):
        cmd = [self.ceiling, "127.0.0.1", str(self.ports[cipher]), "/" + name, "--ca", self.ca,
               "--name", "localhost"]
        return cmd + (["--sha256"] if sha else []) + list(extra)

    def cmd_update(self, name, flash, cipher="aes128-gcm", extra=(), host="localhost"):
        return [self.hota, "update", self.url(name, cipher, host=host), "--flash", flash,
                "--ca", self.ca,
                "--json", "--quiet", "--timeout-ms", "60000"] + list(extra)

    def one(self, kind, client, name, cipher):
        """One timed run; returns (wall s, CPU s of the client process); raises on failure."""
        stdout = subprocess.PIPE
        for f in ("out.bin", "out-curl.bin"):  # replacing a big file costs; same for all
            if os.path.exists(self.path(f)):
                os.remove(self.path(f))
        if kind == "update" and client.startswith("hota"):
            extra = ["--no-resume"] if "no-resume" in client else []
            cmd = self.cmd_update(name, self.fresh_flash(self.flash_tpl), cipher, extra)
        elif client == "hota":
            cmd = self.cmd_hota_fetch(name, cipher)
        elif client == "hota -o -":
            cmd = [self.hota, "fetch", self.url(name, cipher), "-o", "-", "--ca", self.ca,
                   "--quiet", "--timeout-ms", "60000"]
            stdout = subprocess.DEVNULL
        elif client == "curl":
            cmd = self.cmd_curl(name, cipher)
        else:
            cmd = self.cmd_ceiling(name, cipher, sha=(kind == "update"))
        self.cpu.lap()
        secs, r = timed(cmd, stdout=stdout)
        cpu = self.cpu.lap()
        js = last_json(r.stdout) if stdout == subprocess.PIPE and client != "curl" else None
        if r.returncode != 0 or (js is not None and js.get("result", "ok") != "ok"):
            raise RuntimeError(f"{' '.join(cmd)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
        return secs, cpu

    # ---------------------------------------------------------------- 1. throughput
    def throughput(self):
        reps = self.reps
        self.cpu = CpuClock()
        plan = [("fetch", f"body{m}.bin", m * MIB, "aes128-gcm") for m in self.fetch_sizes]
        plan += [("update", f"img{s}.bin", s, "aes128-gcm") for s in self.update_sizes]
        if not self.a.quick:
            plan.append(("fetch", f"body{self.fetch_sizes[1]}.bin",
                         self.fetch_sizes[1] * MIB, "chacha20"))
        table = []
        for kind, name, size, cipher in plan:
            clients = ["ceiling", "hota", "hota -o -", "curl"] if kind == "fetch" \
                else ["ceiling", "hota", "hota --no-resume", "curl"]
            wall = {c: [] for c in clients}
            cpu = {c: [] for c in clients}
            for c in clients:  # warm-up (page cache, nginx), not counted
                self.one(kind, c, name, cipher)
            for _ in range(reps):
                for c in clients:
                    w, u = self.one(kind, c, name, cipher)
                    wall[c].append(w)
                    cpu[c].append(u)
            mbs = {c: size / 1e6 / median(wall[c]) for c in clients}
            cpm = {c: median(cpu[c]) * 1000 / (size / MIB) for c in clients}
            label = f"{kind} {size / MIB:g} MiB {cipher}"
            cell = lambda c: f"{mbs[c]:.1f} ({cpm[c]:.2f})" if c in mbs else "-"
            alt = "hota -o -" if kind == "fetch" else "hota --no-resume"
            row = [label, cell("ceiling"), cell("hota"), cell(alt), cell("curl"),
                   f"{mbs['hota'] / mbs['ceiling'] * 100:.1f} %",
                   f"{cpm['ceiling'] / cpm['hota'] * 100:.1f} %",
                   f"{mbs['hota'] / mbs['curl'] * 100:.1f} %" if "curl" in mbs else "-"]
            table.append(row)
            for c in clients:
                self.record("throughput", f"{label} {c}", round(mbs[c], 2), "MB/s",
                            median_wall_s=round(median(wall[c]), 4),
                            cpu_ms_per_mib=round(cpm[c], 3), reps=reps)
            self.record("throughput", f"{label} hota/ceiling",
                        round(mbs["hota"] / mbs["ceiling"], 4), "ratio",
                        cpu_ratio=round(cpm["ceiling"] / cpm["hota"], 4))
            if "curl" in mbs:
                self.record("throughput", f"{label} hota/curl", round(mbs["hota"] / mbs["curl"], 4),
                            "ratio")
            log(f"  {' | '.join(row)}")
        self.tables.append((f"1. Throughput: MB/s (10^6 B/s) by wall time of the whole process "
                            f"(connect, handshake, body, close), and in brackets CPU ms (user+sys) "
                            f"per MiB of the client process; median of {reps}. Variant: fetch "
                            f"'-o -' to /dev/null, update --no-resume (no progress record); the "
                            f"ceiling writes nothing (update ceiling: + SHA-256); curl downloads "
                            f"the same URL to a file (for update: the image)",
                            ["run", "ceiling", "hota", "variant", "curl", "hota/ceiling",
                             "CPU ceiling/hota", "hota/curl"], table))

    # ---------------------------------------------------------------- 2. tail latency
    def start_serve(self, framing, ending):
        root = self.www
        p = subprocess.Popen([self.hota, "serve", root, "--cert", self.cert, "--key",
                              self.key, "--port", "0", "--framing", framing, "--end", ending,
                              "--hold-timeout", "3000", "--io-timeout", "5000"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.procs.append(p)
        line = p.stdout.readline()
        m = re.search(r"listening on (\d+)", line)
        if not m:
            raise RuntimeError(f"hota serve did not start: {line!r}")
        return p, int(m.group(1))

    def stop(self, p):
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def tail(self):
        reps = self.tail_reps
        img = f"img{256 * 1024}.bin"
        table = []
        for framing in FRAMINGS:
            for ending in ENDINGS:
                p, port = self.start_serve(framing, ending)
                fetch, upd, verdict = [], [], set()
                try:
                    for _ in range(reps):
                        r = run([self.hota, "fetch", self.url(img, port=port), "-o",
                                 self.path("tail.bin"), "--ca", self.ca, "--json", "--quiet",
                                 "--timeout-ms", "1000"], timeout=30, check=False)
                        js = last_json(r.stdout) or {}
                        verdict.add(js.get("error") or "ok")
                        if js.get("tail_ms") is not None:
                            fetch.append(float(js["tail_ms"]))
                        flash = self.fresh_flash(self.small_tpl, "tail-flash.bin")
                        r = run([self.hota, "update", self.url(img, port=port), "--flash", flash,
                                 "--ca", self.ca, "--json", "--quiet", "--timeout-ms", "1000",
                                 "--no-resume"], timeout=30, check=False)
                        js = last_json(r.stdout) or {}
                        if js.get("result") == "ok":
                            upd.append(float(js.get("tail_us", js["tail_ms"] * 1000)) / 1000)
                finally:
                    self.stop(p)
                f_med, u_med = median(fetch), median(upd)
                name = f"{framing} / {ending}"
                goal = "yes" if f_med <= 2.0 else \
                    "timeout by design" if "TIMEOUT" in verdict else \
                    "NO (waits for the server's end)" if framing == "close" else "NO"
                table.append([name, ",".join(sorted(verdict)), f"{f_med:.3f}",
                              f"{max(fetch):.3f}" if fetch else "-",
                              f"{u_med:.3f}" if upd else "-", f"{len(upd)}/{reps}", goal])
                self.record("tail", f"fetch {name}", round(f_med, 3), "ms", verdict=sorted(verdict))
                self.record("tail", f"update {name}", u_med if upd else None, "ms",
                            ok=len(upd), reps=reps)
                log(f"  {' | '.join(table[-1])}")
        self.tables.append((f"2. Tail latency (last body byte -> done), hota serve, 256 KiB "
                            f"image, median of {reps}; goal <= 2 ms",
                            ["framing / ending", "fetch verdict", "fetch tail ms",
                             "fetch max ms", "update tail ms", "update ok",
                             "fetch <= 2 ms"], table))

    # ---------------------------------------------------------------- 3. heap
    def hooked(self, cmd, flash=None):
        out = self.path("hook.json")
        if os.path.exists(out):
            os.remove(out)
        env = dict(os.environ, LD_PRELOAD=self.hook, HOTA_BENCH_HOOK_OUT=out)
        if flash:  # every erase and program a pwrite of its own, which the hook classifies
            env.update(HOTA_BENCH_FLASH=flash, HOTA_FLASH_IO="pwrite")
        r = run(cmd, env=env, check=False)
        js = last_json(r.stdout) if r.stdout.strip() else {}
        ok = r.returncode == 0 and (js is None or js.get("result", "ok") == "ok")
        if not ok:
            raise RuntimeError(f"{' '.join(cmd)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
        with open(out) as f:
            return json.load(f), js

    def heap(self):
        sizes = json.loads(run([self.fetch_api, "--sizes"]).stdout)
        f8 = f"body{self.fetch_sizes[1]}.bin"
        upd = f"img{self.update_sizes[-1]}.bin"
        cases = [("ceiling (bare TLS session, read only)", self.cmd_ceiling(f8, "aes128-gcm"),
                  None),
                 ("ceiling, DRBG from getrandom (smallest session)",
                  self.cmd_ceiling(f8, "aes128-gcm", extra=["--os-entropy"]), None),
                 ("ceiling + SHA-256", self.cmd_ceiling(f8, "aes128-gcm", sha=True), None),
                 ("hota fetch (CLI)", self.cmd_hota_fetch(f8, "aes128-gcm"), None),
                 ("hota http API fetch", [self.fetch_api, self.url(f8), "--ca", self.ca], None),
                 ("hota http API fetch, 127.0.0.1 (no name lookup, as the ceiling)",
                  [self.fetch_api, self.url(f8, host="127.0.0.1"), "--ca", self.ca], None)]
        flash = self.fresh_flash(self.flash_tpl)
        cases.append(("hota update (CLI)", self.cmd_update(upd, flash), flash))
        cases.append(("hota update (CLI), 127.0.0.1 (no name lookup)",
                      self.cmd_update(upd, flash, host="127.0.0.1"), flash))
        for mfl in (4096, 2048, 1024, 512):
            cases.append((f"ceiling, max_frag_len {mfl}",
                          self.cmd_ceiling(f8, "aes128-gcm", extra=["--mfl", str(mfl)]), None))
            cases.append((f"hota http API fetch, max_frag_len {mfl}",
                          [self.fetch_api, self.url(f8), "--ca", self.ca, "--mfl", str(mfl)],
                          None))
        table, base, small = [], None, None
        for name, cmd, fl in cases:
            if fl:
                fl = self.fresh_flash(self.flash_tpl)
                cmd = self.cmd_update(upd, fl, host="127.0.0.1" if "127.0.0.1" in name
                                      else "localhost")
            h, js = self.hooked(cmd, fl)
            own = h["peak_total"] - h["at_peak_tls"]
            if base is None:
                base = h["peak_total"]
            elif small is None:
                small = h["peak_total"]
            extra = ""
            if js and "mfl_negotiated" in js:
                extra = f"negotiated {js['mfl_negotiated']}"
            table.append([name, f"{h['peak_total'] / 1024:.1f}", f"{h['at_peak_tls'] / 1024:.1f}",
                          f"{own / 1024:.1f}", f"{h['peak_tls'] / 1024:.1f}",
                          f"{(h['peak_total'] - base) / 1024:+.1f}",
                          f"{(h['peak_total'] - (small or base)) / 1024:+.1f}",
                          str(h["allocs_tls"] + h["allocs_exe"] + h["allocs_libc"]), extra])
            self.record("heap", name, h["peak_total"], "bytes", detail=h)
            log(f"  {' | '.join(table[-1])}")
        self.tables.append(("3. Peak heap, KiB (LD_PRELOAD probe; TLS = allocations made inside "
                            "libmbed*.so); 'vs ceiling' = peak - ceiling's peak, 'vs smallest' "
                            "= peak - the peak of the ceiling whose DRBG is seeded from "
                            "getrandom() (no mbedtls_entropy_context, as hota); goal: hota "
                            f"<= +8 KiB over the smallest. Struct sizes: {sizes}",
                            ["process", "peak", "TLS at peak", "own at peak", "TLS peak",
                             "vs ceiling", "vs smallest", "allocations", "note"], table))

    # ---------------------------------------------------------------- 4. work per byte
    def callgrind(self, label, cmd, mib, env=None):
        out = self.path(f"cg-{label}.out")
        run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] + cmd, timeout=900,
            env=env)
        r = run(["callgrind_annotate", "--inclusive=no", "--threshold=100", out], timeout=300)
        buckets = {}
        line_re = re.compile(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.+?):(\S+)\s+\[(.+)\]\s*$")
        total = 0
        for line in r.stdout.splitlines():
            m = line_re.match(line)
            if not m:
                continue
            ir = int(m.group(1).replace(",", ""))
            total += ir
            b = bucket(m.group(2), m.group(3), m.group(4))
            buckets[b] = buckets.get(b, 0) + ir
        r = run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out], timeout=300)
        incl = {}
        for line in r.stdout.splitlines():
            m = line_re.match(line)
            if m and m.group(3) in INCLUSIVE and m.group(3) not in incl:
                incl[m.group(3)] = int(m.group(1).replace(",", "")) / mib
        self.inclusive[label] = incl
        return {k: v / mib for k, v in buckets.items()}, total / mib

    def work(self):
        f8 = self.fetch_sizes[1]
        upd = self.update_sizes[-1]
        flash = self.fresh_flash(self.flash_tpl)
        runs = [("ceiling fetch", self.cmd_ceiling(f"body{f8}.bin", "aes128-gcm"), f8),
                ("hota fetch", self.cmd_hota_fetch(f"body{f8}.bin", "aes128-gcm"), f8),
                ("ceiling+sha update", self.cmd_ceiling(f"img{upd}.bin", "aes128-gcm", sha=True),
                 upd / MIB),
                ("hota update", self.cmd_update(f"img{upd}.bin", flash), upd / MIB)]
        results = {}
        self.inclusive = {}
        for label, cmd, mib in runs:
            results[label] = self.callgrind(label.replace(" ", "_"), cmd, mib)
            self.inclusive[label] = self.inclusive.pop(label.replace(" ", "_"), {})
            log(f"  callgrind {label}: {results[label][1] / 1e6:.1f} M instr/MiB")
        cols = [lbl for lbl, _, _ in runs]
        names = sorted({b for r in results.values() for b in r[0]},
                       key=lambda b: -max(results[c][0].get(b, 0) for c in cols))
        table = []
        for b in names:
            table.append([b] + [f"{results[c][0].get(b, 0) / 1e6:.2f}" for c in cols])
            for c in cols:
                self.record("work", f"{c} {b}", round(results[c][0].get(b, 0)), "instr/MiB")
        table.append(["TOTAL"] + [f"{results[c][1] / 1e6:.2f}" for c in cols])
        for c in cols:
            self.record("work", f"{c} total", round(results[c][1]), "instr/MiB")
        ltab = list(INCLUSIVE)
        itable = []
        for f in ltab:
            vals = [self.inclusive.get(c, {}).get(f) for c in cols]
            if any(v for v in vals):
                itable.append([f] + [f"{v / 1e6:.2f}" if v else "-" for v in vals])
                for c, v in zip(cols, vals):
                    if v:
                        self.record("work", f"{c} inclusive {f}", round(v), "instr/MiB")
        self.tables.append(("4b. Inclusive million instructions per MiB, by entry point "
                            "(callee costs included)", ["function"] + cols, itable))
        self.tables.append((f"4. Work: million instructions per MiB of body (callgrind, "
                            f"exclusive, whole process incl. handshake; fetch {f8} MiB, "
                            f"update {upd // MIB} MiB)", ["layer"] + cols, table))

    # ---------------------------------------------------------------- 5. waste
    def waste(self):
        upd = self.update_sizes[-1]
        name = f"img{upd}.bin"
        table = []
        # a) clean run and runs with injected disconnects through a cutting proxy
        clean = self.proxy_update(name, [])
        cuts = [upd // 3, upd // 3]
        cut = self.proxy_update(name, cuts)
        per_cut = (cut["wire_down"] - clean["wire_down"]) / max(1, cut["cuts_done"])
        table.append(["wire bytes server->client, clean update", f"{clean['wire_down']}",
                      f"requests {clean['js'].get('requests')}, handshakes "
                      f"{clean['js'].get('handshakes')}"])
        table.append([f"... with {cut['cuts_done']} injected disconnects (RST)",
                      f"{cut['wire_down']}",
                      f"requests {cut['js'].get('requests')}, handshakes "
                      f"{cut['js'].get('handshakes')} ({cut['js'].get('handshakes_resumed')} "
                      f"resumed), retries {cut['js'].get('retries')}, "
                      f"restarts {cut['js'].get('restarts')}, ranges {cut['ranges']}"])
        table.append(["extra wire bytes per disconnect", f"{per_cut:.0f}",
                      f"resumed at body offsets {cut['lost_body']} (cuts after "
                      f"{'/'.join(str(c) for c in cuts)} wire bytes per connection)"])
        self.record("waste", "extra wire bytes per disconnect", round(per_cut), "bytes",
                    clean=clean["wire_down"], cut=cut["wire_down"], ranges=cut["ranges"])
        # b) partial download
        for part in (65536, 1048576):
            flash = self.fresh_flash(self.flash_tpl)
            r = run(self.cmd_update(name, flash, extra=["--partial-size", str(part)]))
            js = last_json(r.stdout)
            table.append([f"partial download, --partial-size {part}",
                          f"requests {js['requests']}",
                          f"connections {js['connections']}, handshakes {js['handshakes']}"])
            self.record("waste", f"partial {part} requests", js["requests"], "count",
                        connections=js["connections"], handshakes=js["handshakes"])
        # c) flash erases
        sectors = (upd + 4095) // 4096
        for label, extra in (("update", []), ("update --bulk-erase", ["--bulk-erase"])):
            flash = self.fresh_flash(self.flash_tpl)
            h, js = self.hooked(self.cmd_update(name, flash, extra=extra), flash)
            table.append([f"{label}: flash erases / image sectors",
                          f"{h['erases']} / {sectors}",
                          f"max erases of one sector {h['max_erases_per_sector']}, "
                          f"flash_ops {js['flash_ops']}, programs {h['programs']} "
                          f"({h['program_bytes']} B), fsyncs {h['fsyncs']}"])
            self.record("waste", f"{label} erases", h["erases"], "count", sectors=sectors,
                        max_per_sector=h["max_erases_per_sector"], flash_ops=js["flash_ops"],
                        programs=h["programs"], fsyncs=h["fsyncs"])
        # d) what a reconnect costs: a full handshake vs a resumed one (ceiling client)
        hs_full, hs_res = [], []
        for _ in range(self.reps):
            r = run(self.cmd_ceiling(f"body{self.fetch_sizes[0]}.bin", "aes128-gcm",
                                     extra=["--resume"]))
            js = last_json(r.stdout)
            hs_full.append(js["handshake_ms"])
            hs_res.append(js["resume_handshake_ms"])
        table.append(["TLS handshake ms: full / resumed (session ticket)",
                      f"{median(hs_full):.2f} / {median(hs_res):.2f}", "mbedTLS ceiling client"])
        self.record("waste", "handshake full", round(median(hs_full), 3), "ms")
        self.record("waste", "handshake resumed", round(median(hs_res), 3), "ms")
        for row in table:
            log(f"  {' | '.join(row)}")
        self.tables.append((f"5. Waste ({upd // MIB} MiB update)", ["what", "value", "detail"],
                            table))

    def make_proxy(self, cuts):
        """tests/integration/fault_proxy.py when the tree has it, else the CutProxy below."""
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                        "tests", "integration"))
        try:
            import fault_proxy
        except ImportError:
            p = CutProxy(self.ports["aes128-gcm"], cuts)
            p.start()
            return p, lambda: (p.down, p.cuts_done)
        p = fault_proxy.FaultProxy(self.ports["aes128-gcm"],
                                   rules=[fault_proxy.Rule(reset_at=c) for c in cuts]).start()

        def counts():
            p.wait_idle(5)
            recs = p.records()
            return sum(r["down_bytes"] for r in recs), sum(1 for r in recs if r["fault"])
        return p, counts

    def proxy_update(self, name, cuts):
        proxy, counts = self.make_proxy(cuts)
        try:
            flash = self.fresh_flash(self.flash_tpl)
            mark = self.log_mark()
            r = run([self.hota, "update", self.url(name, port=proxy.port), "--flash", flash,
                     "--ca", self.ca, "--json", "--quiet", "--timeout-ms", "10000"], check=False)
            js = last_json(r.stdout) or {}
            if js.get("result") != "ok":
                raise RuntimeError(f"update through proxy failed: {r.stdout} {r.stderr}")
            down, cuts_done = counts()
        finally:
            proxy.stop()
        ranges = self.ranges_since(mark)
        starts = re.findall(r"bytes=(\d+)-", " ".join(ranges))
        return dict(wire_down=down, cuts_done=cuts_done, js=js, ranges=ranges,
                    lost_body="/".join(starts) if starts else "-")

    def log_mark(self):
        p = os.path.join(self.nginx_dir, "access-aes128-gcm.log")
        return os.path.getsize(p) if os.path.exists(p) else 0

    def ranges_since(self, mark):
        time.sleep(0.2)
        with open(os.path.join(self.nginx_dir, "access-aes128-gcm.log")) as f:
            f.seek(mark)
            return [m.group(1) for m in re.finditer(r'"([^"]*)" \S+ \S+$', f.read(), re.M)]

    # ---------------------------------------------------------------- output
    def print_tables(self):
        out = []
        for title, header, rows in self.tables:
            widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
            out.append("")
            out.append(title)
            out.append("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
            for r in rows:
                out.append("| " + " | ".join(str(x).ljust(w) for x, w in zip(r, widths)) + " |")
        print("\n".join(out))

    def write_outputs(self):
        meta = dict(date=time.strftime("%Y-%m-%d %H:%M:%S"), hota=self.hota,
                    quick=bool(self.a.quick), reps=self.reps, cpus=os.cpu_count(),
                    cpu=cpu_model())
        if self.a.json:
            with open(self.a.json, "w") as f:
                json.dump(dict(meta=meta, rows=self.rows,
                               tables=[dict(title=t, header=h, rows=r) for t, h, r in self.tables]),
                          f, indent=1)
        if self.a.csv:
            with open(self.a.csv, "w") as f:
                f.write("section,name,value,unit\n")
                for r in self.rows:
                    f.write(f"{r['section']},\"{r['name']}\",{r['value']},{r['unit']}\n")

    def main(self):
        a = self.a
        self.reps = a.reps or (3 if a.quick else 7)
        self.tail_reps = a.tail_reps or (5 if a.quick else 15)
        self.fetch_sizes = [1, 8, 64] if not a.quick else [1, 8, 16]
        self.update_sizes = [1 * MIB, UPDATE_MAX]
        sections = a.only.split(",") if a.only else ["throughput", "tail", "heap", "work",
                                                     "waste"]
        if a.no_work and "work" in sections:
            sections.remove("work")
        log(f"hota bench: {self.hota} in {self.tmp}")
        self.make_pki()
        self.make_content()
        self.start_nginx()
        for s in sections:
            t0 = time.time()
            log(f"[{s}]")
            getattr(self, s)()
            log(f"[{s}] {time.time() - t0:.0f} s")
        self.print_tables()
        self.write_outputs()


# Entry points whose inclusive cost the work table lists (those present in a profile).
INCLUSIVE = ["mbedtls_ssl_handshake", "mbedtls_ssl_read", "hota_http_read", "llhttp_execute",
             "fwrite", "hota_ota_perform", "hota_ota_finish", "hota_image_verifier_feed",
             "hota_image_verify_flash", "ota_hash_written", "hota_slot_write", "hota_flash_write",
             "hota_flash_erase", "mbedtls_sha256_update_ret", "mbedtls_sha512_update_ret",
             "fsync"]


def bucket(path, func, obj):
    """Layer of one callgrind function entry (path is relative for hota's own sources)."""
    f = func.lower()
    src = lambda d: re.search(r"(^|/)" + d, path)
    if re.search(r"sha(256|512)", f):
        return "hash (sha256, sha512)"
    if "libmbed" in obj:
        if re.search(r"aes|gcm|chacha|poly1305|cipher|ctr_drbg", f):
            return "TLS record crypto (aes/gcm/chacha)"
        return "TLS other (handshake bignum/ecp, records)"
    if "llhttp" in path or src("src/http/"):
        return "HTTP (src/http + llhttp)"
    if src("src/image/"):
        return "verifier (src/image)"
    if src("src/flash/") or "flash_file" in path:
        return "flash (src/flash + port flash_file)"
    if src("src/ota/") or src("src/boot/"):
        return "ota engine (src/ota, src/boot)"
    if src("src/transport/") or src("port/posix/net"):
        return "transport (src/transport + port net)"
    if src("cli/"):
        return "CLI"
    if re.search(r"mem(cpy|move|set)", f):
        return "libc memcpy/memmove/memset"
    if "libssl" in obj or "libcrypto" in obj:
        return "OpenSSL"
    if "hota_bench_ceiling" in obj:
        return "ceiling client"
    return "libc, loader, other"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            return m.group(1) if m else "?"
    except OSError:
        return "?"


class CutProxy(threading.Thread):
    """TCP proxy to 127.0.0.1:upstream. The i-th connection is reset after cuts[i] bytes
    server->client; later connections pass through. Counts every byte server->client."""

    def __init__(self, upstream, cuts):
        super().__init__(daemon=True)
        self.upstream, self.cuts = upstream, list(cuts)
        self.down, self.cuts_done, self.conns = 0, 0, 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.running = True

    def run(self):
        while self.running:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            limit = self.cuts[self.conns] if self.conns < len(self.cuts) else None
            self.conns += 1
            threading.Thread(target=self.pipe, args=(c, limit), daemon=True).start()

    def pipe(self, c, limit):
        import selectors
        u = socket.create_connection(("127.0.0.1", self.upstream))
        sel = selectors.DefaultSelector()
        sel.register(c, selectors.EVENT_READ, u)
        sel.register(u, selectors.EVENT_READ, c)
        sent = 0
        try:
            while self.running:
                for key, _ in sel.select(timeout=0.5):
                    data = key.fileobj.recv(65536)
                    if not data:
                        raise EOFError
                    if key.fileobj is u and limit is not None and sent + len(data) >= limit:
                        data = data[:limit - sent]
                        c.sendall(data)
                        self.down += len(data)
                        self.cuts_done += 1
                        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     b"\x01\x00\x00\x00\x00\x00\x00\x00")
                        raise EOFError
                    key.data.sendall(data)
                    if key.fileobj is u:
                        sent += len(data)
                        self.down += len(data)
        except (EOFError, OSError):
            pass
        finally:
            c.close()
            u.close()

    def stop(self):
        self.running = False
        self.sock.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..",
                                                    "build-bench"))
    ap.add_argument("--hota-bin", help="measure this hota binary instead of BUILD/hota")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, 16 MiB max")
    ap.add_argument("--no-work", action="store_true", help="skip the callgrind section")
    ap.add_argument("--reps", type=int, help="repetitions per throughput cell (7; quick 3)")
    ap.add_argument("--tail-reps", type=int, help="repetitions per tail cell (15; quick 5)")
    ap.add_argument("--only", help="comma list: throughput,tail,heap,work,waste")
    ap.add_argument("--csv", help="write every number as CSV here")
    ap.add_argument("--json", help="write every number and table as JSON here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    b = Bench(ap.parse_args())
    try:
        b.main()
    finally:
        b.close()


if __name__ == "__main__":
    main()
