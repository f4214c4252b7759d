"""Shared helpers for hota's integration tests (Python 3 standard library only).

Everything a test starts lives in one temporary directory and is owned by one Harness:
servers are killed and the directory removed when the harness ends, also on failure,
on an exception or on SIGTERM. Every wait is bounded.

    with Harness("test_x") as h:
        certs = h.certs()                      # CA, server, expired, ... (openssl CLI)
        srv = h.spawn(["openssl", "s_server", ...], cwd=h.tmp)
        res = h.run_fetch(url, ca=certs.ca)    # -> FetchResult(rc, js, elapsed, ...)
        h.check(res.rc == 0, "fetch succeeds", res)
    # exit status: 0 all checks passed, 1 some failed, 77 skipped

Set HOTA_KEEP_TMP=1 to keep the temporary directory for inspection.
"""

import atexit
import ctypes
import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77

# Exit codes of the hota CLI (cli/cli.h).
EXIT = {
    "ok": 0, "error": 1, "usage": 2, "truncated": 3, "timeout": 4, "tls": 5, "http": 6,
    "connect": 7, "image": 8, "signature": 9, "device": 10, "io": 11,
}


def log(*args):
    print(*args, flush=True)


def skip(name, reason):
    """Report the test as skipped (CTest SKIP_RETURN_CODE 77) and exit."""
    log("SKIPPED %s: %s" % (name, reason))
    sys.exit(SKIP)


def hota_bin():
    """The hota CLI under test: $HOTA_BIN, else the usual build directories."""
    env = os.environ.get("HOTA_BIN")
    if env:
        return env
    top = os.environ.get("HOTA_SOURCE_DIR",
                         os.path.dirname(os.path.dirname(os.path.dirname(
                             os.path.abspath(__file__)))))
    for sub in ("build-testinfra", "build"):
        cand = os.path.join(top, sub, "hota")
        if os.access(cand, os.X_OK):
            return cand
    return os.path.join(top, "build", "hota")


def free_port(host="127.0.0.1"):
    """A TCP port that was free a moment ago (bind port 0, read it back, release it)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0, host="127.0.0.1", proc=None):
    """Wait (bounded) until something accepts TCP on host:port. Returns True when it does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _die_with_parent():
    """preexec_fn: the child gets SIGKILL when the test process dies (PR_SET_PDEATHSIG)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def run(cmd, timeout=30.0, check=True, **kw):
    """Run a command to completion within timeout seconds; output captured as text."""
    try:
        cp = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                            preexec_fn=_die_with_parent, **kw)
    except subprocess.TimeoutExpired as e:
        raise RuntimeError("command timed out after %.0fs: %s" % (timeout, " ".join(cmd))) from e
    if check and cp.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s%s" %
                           (cp.returncode, " ".join(cmd), cp.stdout, cp.stderr))
    return cp


class FetchResult:
    """One `hota fetch` run. Unpacks as (rc, js, elapsed)."""

    def __init__(self, rc, stdout, stderr, elapsed, out, cmd):
        self.rc = rc              # exit code; None when the process had to be killed
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed    # seconds, measured around the process
        self.out = out            # the -o path
        self.cmd = cmd
        self.js = None            # the parsed JSON object, or None
        self.json_error = None    # why stdout is not exactly one JSON object
        try:
            obj = json.loads(stdout)
            if isinstance(obj, dict):
                self.js = obj
            else:
                self.json_error = "stdout is JSON but not an object"
        except ValueError as e:
            self.json_error = "stdout is not exactly one JSON object: %s" % e

    def __iter__(self):
        return iter((self.rc, self.js, self.elapsed))

    def get(self, key, default=None):
        return self.js.get(key, default) if self.js else default

    def __str__(self):
        return ("rc=%s elapsed=%.3fs\n  cmd: %s\n  stdout: %s\n  stderr: %s" %
                (self.rc, self.elapsed, " ".join(self.cmd), self.stdout.strip()[:600],
                 self.stderr.strip()[:600]))


class Harness:
    """Owns a temp dir, the processes a test starts and the list of failed checks."""

    def __init__(self, name):
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix="hota-%s-" % name)
        self.procs = []
        self.stoppers = []
        self.failures = []
        self.checks = 0
        self._certs = None
        self._closed = False
        atexit.register(self.close)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum, _frame):
        self.close()
        os._exit(128 + signum)

    def __enter__(self):
        return self

    def __exit__(self, etype, evalue, _tb):
        if etype is not None and not issubclass(etype, SystemExit):
            self.failures.append("exception: %s: %s" % (etype.__name__, evalue))
        self.close()
        return False

    # ----- processes -------------------------------------------------------------------------
    def spawn(self, cmd, cwd=None, name=None, **kw):
        """Start a background process (stdout/stderr into files in the temp dir)."""
        name = name or os.path.basename(cmd[0])
        logf = open(os.path.join(self.tmp, "%s.%d.log" % (name, len(self.procs))), "w+b")
        p = subprocess.Popen(cmd, cwd=cwd or self.tmp, stdin=subprocess.DEVNULL, stdout=logf,
                             stderr=subprocess.STDOUT, preexec_fn=_die_with_parent, **kw)
        p.logfile = logf
        self.procs.append(p)
        return p

    def proc_log(self, p):
        p.logfile.flush()
        p.logfile.seek(0)
        return p.logfile.read().decode("utf-8", "replace")

    def stop(self, p, grace=2.0):
        """Terminate one process: SIGTERM, then SIGKILL after grace seconds."""
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)

    def on_close(self, fn):
        """Register a callable run when the harness ends (e.g. an in-process server's stop)."""
        self.stoppers.append(fn)

    def close(self):
        if self._closed:
            return
        self._closed = True
        for fn in reversed(self.stoppers):
            try:
                fn()
            except Exception as e:  # cleanup must go on
                log("cleanup error: %s" % e)
        for p in self.procs:
            try:
                self.stop(p)
            except Exception as e:
                log("cleanup error: %s" % e)
            p.logfile.close()
        if os.environ.get("HOTA_KEEP_TMP"):
            log("kept temp dir %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ----- checks ----------------------------------------------------------------------------
    def check(self, cond, what, detail=None):
        """Record one assertion; failures are collected, printed and make the test fail."""
        self.checks += 1
        if cond:
            return True
        msg = what if detail is None else "%s\n  %s" % (what, detail)
        self.failures.append(msg)
        log("FAIL: " + msg)
        return False

    def finish(self):
        """Print the summary and exit 0 or 1."""
        self.close()
        if self.failures:
            log("%s: %d of %d checks FAILED" % (self.name, len(self.failures), self.checks))
            sys.exit(1)
        if self.checks == 0:
            log("%s: no checks ran" % self.name)
            sys.exit(1)
        log("%s: all %d checks passed" % (self.name, self.checks))
        sys.exit(0)

    def skip(self, reason):
        self.close()
        skip(self.name, reason)

    # ----- fixtures --------------------------------------------------------------------------
    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def certs(self):
        if self._certs is None:
            self._certs = CertFactory(self.path("pki"))
        return self._certs

    def write(self, name, data):
        p = self.path(name)
        with open(p, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        return p

    def need_hota(self):
        """Skip when the CLI has no `fetch` command at all (the build does not contain it)."""
        b = hota_bin()
        if not os.access(b, os.X_OK):
            self.check(False, "hota binary not found at %s (set HOTA_BIN)" % b)
            self.finish()
        cp = run([b, "help"], timeout=10, check=False)
        if "fetch" not in cp.stdout:
            self.skip("`hota fetch` is not in this build (%s)" % b)
        return b

    def run_fetch(self, url, out=None, ca=None, cert=None, key=None, insecure=False,
                  timeout_ms=None, headers=(), json_out=True, quiet=False, extra=(),
                  proc_timeout=None):
        """Run `hota fetch URL -o OUT ...`; returns a FetchResult (kills it if it hangs)."""
        if out is None:
            out = self.path("out-%d.bin" % time.monotonic_ns())
        cmd = [hota_bin(), "fetch", url, "-o", out]
        for opt, val in (("--ca", ca), ("--cert", cert), ("--key", key)):
            if val:
                cmd += [opt, val]
        if insecure:
            cmd.append("--insecure")
        if timeout_ms is not None:
            cmd += ["--timeout-ms", str(timeout_ms)]
        for hdr in headers:
            cmd += ["--header", hdr]
        if json_out:
            cmd.append("--json")
        if quiet:
            cmd.append("--quiet")
        cmd += list(extra)
        return self.run_cli(cmd, out, proc_timeout or ((timeout_ms or 30000) / 1000.0 + 15))

    def run_cli(self, cmd, out=None, timeout=30.0, env=None, on_start=None):
        """Run a hota command line with a bound; a hang is reported as rc None.
        env: extra environment variables; on_start(popen) runs right after the start (e.g. to
        watch or kill the process from a thread)."""
        t0 = time.monotonic()
        full_env = None
        if env:
            full_env = dict(os.environ)
            full_env.update(env)
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, preexec_fn=_die_with_parent, env=full_env)
        if on_start:
            on_start(p)
        try:
            so, se = p.communicate(timeout=timeout)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            p.kill()
            so, se = p.communicate(timeout=5)
            rc = None
            se += b"\n[killed by the test after %.0fs]" % timeout
        elapsed = time.monotonic() - t0
        return FetchResult(rc, so.decode("utf-8", "replace"), se.decode("utf-8", "replace"),
                           elapsed, out, cmd)


class CertFactory:
    """Test PKI made with the openssl CLI (EC P-256 keys, SHA-256).

    Attributes (file paths): ca, ca_key; server/server_key (CN localhost, SAN DNS:localhost,
    IP:127.0.0.1, IP:::1); expired/expired_key; notyet/notyet_key (valid only in ten years);
    wronghost/wronghost_key (SAN DNS:wrong.example); other_ca (a CA that signed nothing we
    serve); client_ca; client/client_key (signed by client_ca, clientAuth).
    """

    SAN_LOCAL = "DNS:localhost,IP:127.0.0.1,IP:::1"

    def __init__(self, d):
        self.d = d
        os.makedirs(d, exist_ok=True)
        self.ca, self.ca_key = self._make_ca("ca", "hota test CA")
        self.other_ca, self.other_ca_key = self._make_ca("other_ca", "hota unrelated CA")
        self.client_ca, self.client_ca_key = self._make_ca("client_ca", "hota client CA")
        now = datetime.datetime.now(datetime.timezone.utc)
        day = datetime.timedelta(days=1)
        self.server, self.server_key = self.issue("server", "localhost", self.SAN_LOCAL)
        self.expired, self.expired_key = self.issue(
            "expired", "localhost", self.SAN_LOCAL,
            start=now - 400 * day, end=now - 30 * day)
        self.notyet, self.notyet_key = self.issue(
            "notyet", "localhost", self.SAN_LOCAL,
            start=now + 3650 * day, end=now + 4000 * day)
        self.wronghost, self.wronghost_key = self.issue(
            "wronghost", "wrong.example", "DNS:wrong.example")
        self.client, self.client_key = self.issue(
            "client", "hota test client", None, ca="client_ca", usage="clientAuth")

    def _p(self, name):
        return os.path.join(self.d, name)

    def _newkey(self, name):
        key = self._p(name + ".key")
        run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-out", key])
        return key

    def _make_ca(self, name, cn):
        key = self._newkey(name)
        pem = self._p(name + ".pem")
        run(["openssl", "req", "-x509", "-new", "-key", key, "-out", pem, "-days", "3650",
             "-sha256", "-subj", "/CN=" + cn,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-addext", "subjectKeyIdentifier=hash"])
        cadir = self._p(name + ".db")
        os.makedirs(os.path.join(cadir, "new"), exist_ok=True)
        open(os.path.join(cadir, "index.txt"), "w").close()
        with open(os.path.join(cadir, "serial"), "w") as f:
            f.write("1000\n")
        with open(self._p(name + ".cnf"), "w") as f:
            f.write("[ca]\ndefault_ca = CA_default\n"
                    "[CA_default]\ndir = %s\ndatabase = $dir/index.txt\n"
                    "new_certs_dir = $dir/new\nserial = $dir/serial\ncertificate = %s\n"
                    "private_key = %s\ndefault_md = sha256\ndefault_days = 825\n"
                    "policy = policy_any\nunique_subject = no\ncopy_extensions = none\n"
                    "[policy_any]\ncommonName = supplied\n" % (cadir, pem, key))
        return pem, key

    @staticmethod
    def _asn1(t):
        return t.strftime("%Y%m%d%H%M%SZ")

    def issue(self, name, cn, san, ca="ca", usage="serverAuth", start=None, end=None):
        """Issue a leaf certificate with `openssl ca` (any start/end dates). Returns (pem, key)."""
        key = self._newkey(name)
        csr = self._p(name + ".csr")
        pem = self._p(name + ".pem")
        run(["openssl", "req", "-new", "-key", key, "-out", csr, "-subj", "/CN=" + cn])
        ext = self._p(name + ".ext")
        with open(ext, "w") as f:
            f.write("[leaf]\nbasicConstraints = critical,CA:FALSE\n"
                    "keyUsage = critical,digitalSignature\n"
                    "extendedKeyUsage = %s\nsubjectKeyIdentifier = hash\n"
                    "authorityKeyIdentifier = keyid\n" % usage)
            if san:
                f.write("subjectAltName = %s\n" % san)
        now = datetime.datetime.now(datetime.timezone.utc)
        start = start or now - datetime.timedelta(days=1)
        end = end or now + datetime.timedelta(days=365)
        run(["openssl", "ca", "-batch", "-notext", "-config", self._p(ca + ".cnf"),
             "-in", csr, "-out", pem, "-extfile", ext, "-extensions", "leaf",
             "-startdate", self._asn1(start), "-enddate", self._asn1(end)])
        return pem, key

    def chain(self, name, pem, *more):
        """Concatenate PEM files into one bundle (e.g. leaf + CA for servers)."""
        out = self._p(name)
        with open(out, "w") as f:
            for p in (pem,) + more:
                with open(p) as g:
                    f.write(g.read())
        return out


def assert_no_file(h, path, what):
    """A failed fetch leaves nothing under the final name."""
    return h.check(not os.path.exists(path), "%s: no file left under the final name %s"
                   % (what, path))


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def fmt_table(rows, header):
    """Plain text table."""
    cols = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cols) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
    out = [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in cols[1:]]
    return "\n".join(out)



# ----- devices and `hota update` -------------------------------------------------------------
def hota_json(args, timeout=60.0, env=None):
    """Run `hota ARGS` (add --json yourself); returns (rc, parsed JSON object or None, cp)."""
    full_env = dict(os.environ)
    full_env.pop("HOTA_FLASH_FAULT", None)
    full_env.update(env or {})
    cp = run([hota_bin()] + list(args), timeout=timeout, check=False, env=full_env)
    try:
        js = json.loads(cp.stdout)
    except ValueError:
        js = None
    return cp.returncode, js, cp


def make_image(h, version, size=200000, project="e2e", secure_version=0, name=None):
    """`hota image create` into the temp dir; returns the path."""
    path = h.path(name or "%s-%s-%d.bin" % (project, version, size))
    rc, js, cp = hota_json(["image", "create", "--project", project, "--version", version,
                            "--secure-version", str(secure_version), "--size", str(size),
                            "-o", path])
    if rc != 0:
        raise RuntimeError("image create failed: %s%s" % (cp.stdout, cp.stderr))
    return path


def file_digest(path):
    """SHA-256 hex of a file, None when it does not exist."""
    import hashlib
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Device:
    """A simulated ESP32 (flash file + eFuse sidecar) running a factory app.

    Device(h, "name", factory_image, create_args) runs `hota flash create` and a first
    `hota boot`; Device.copy(h, other, "name") clones one (files copied)."""

    SIDECARS = (".efuse", ".progress")

    def __init__(self, h, name, factory=None, create_args=(), boot=True):
        self.h = h
        self.path = h.path(name + ".flash")
        if factory is None:
            return
        rc, js, cp = hota_json(["flash", "create", self.path, "--factory", factory, "--json"]
                               + list(create_args))
        if rc != 0:
            raise RuntimeError("flash create failed: %s%s" % (cp.stdout, cp.stderr))
        if boot:
            self.boot()

    @classmethod
    def copy(cls, h, other, name):
        d = cls(h, name)
        shutil.copyfile(other.path, d.path)
        for suf in cls.SIDECARS:
            if os.path.exists(other.path + suf):
                shutil.copyfile(other.path + suf, d.path + suf)
            elif os.path.exists(d.path + suf):
                os.unlink(d.path + suf)
        return d

    def cmd(self, *args):
        return hota_json(list(args))

    def boot(self):
        return self.cmd("boot", self.path, "--json")[1]

    def confirm(self):
        return self.cmd("confirm", self.path, "--json")[1]

    def info(self):
        return self.cmd("flash", "info", self.path, "--json")[1]

    def otadata(self):
        info = self.info() or {}
        return info.get("otadata")

    def snapshot(self):
        """Digests of the flash file and every sidecar (None: absent)."""
        return {suf or "flash": file_digest(self.path + suf) for suf in ("",) + self.SIDECARS}

    def progress(self):
        """(slot, total, covered bytes N) from the progress record, or None."""
        try:
            with open(self.path + ".progress", "rb") as f:
                rec = f.read()
        except OSError:
            return None
        if len(rec) < 32:
            return None
        import struct
        slot, = struct.unpack_from("<i", rec, 8)
        total, covered = struct.unpack_from("<QQ", rec, 16)
        return slot, total, covered

    def read_slot(self, label):
        out = self.h.path("%s-%s-%d.read" % (os.path.basename(self.path), label,
                                             time.monotonic_ns()))
        rc, _, cp = self.cmd("flash", "read", self.path, "--partition", label, "-o", out)
        if rc != 0:
            raise RuntimeError("flash read failed: %s%s" % (cp.stdout, cp.stderr))
        data = read_file(out)
        os.unlink(out)
        return data

    def slot_holds(self, label, image_path):
        """True when the slot starts with the image's bytes."""
        img = read_file(image_path)
        return self.read_slot(label)[:len(img)] == img


def run_update(h, src, device, ca=None, timeout_ms=None, extra=(), proc_timeout=None, env=None,
               on_start=None):
    """`hota update SRC --flash DEVICE --json ...`; returns a FetchResult (killed if it hangs)."""
    cmd = [hota_bin(), "update", src, "--flash", device.path, "--json"]
    if ca:
        cmd += ["--ca", ca]
    if timeout_ms is not None:
        cmd += ["--timeout-ms", str(timeout_ms)]
    cmd += list(extra)
    bound = proc_timeout or ((timeout_ms or 30000) / 1000.0 * 8 + 30)
    return h.run_cli(cmd, None, bound, env=env, on_start=on_start)


def start_hota_serve(h, root, certs, framing="content-length", ending="keep-alive", extra=()):
    """`hota serve ROOT` on a free port (short hold and I/O timeouts, a status file).
    Returns (process, port, status file path)."""
    status = h.path("serve-%s-%s-%d.status" % (framing, ending.replace("+", "_"),
                                                time.monotonic_ns()))
    p = h.spawn([hota_bin(), "serve", root, "--port", "0", "--cert", certs.server, "--key",
                 certs.server_key, "--framing", framing, "--end", ending, "--hold-timeout",
                 "3000", "--io-timeout", "5000", "--status-file", status] + list(extra),
                name="hota-serve")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in h.proc_log(p).splitlines():
            if line.startswith("listening on "):
                port = int(line.split()[2])
                if wait_port(port, 5, proc=p):
                    return p, port, status
        if p.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError("hota serve did not start:\n" + h.proc_log(p))


def serve_status(path):
    """The per-connection JSON lines `hota serve --status-file` wrote so far."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
    except OSError:
        pass
    return out


def start_python_https(h, certs, directory):
    """Python's http.server wrapped in ssl (Content-Length, FIN after the body) serving
    directory on a free loopback port; stopped when the harness closes. Returns the port."""
    import http.server
    import ssl
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                          lambda *a: Quiet(*a, directory=directory))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs.server, certs.server_key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.daemon_threads = True
    th = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    th.start()

    def stop():
        srv.shutdown()
        srv.server_close()
        th.join(timeout=5)
    h.on_close(stop)
    return srv.server_address[1]
