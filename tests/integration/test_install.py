#!/usr/bin/env python3
"""`cmake --install` puts the CLI, libhota (shared and static), the public headers and hota.pc
in place, and a program built with `pkg-config --cflags --libs hota` links and runs."""
import glob
import os
import subprocess
import sys
import tempfile

NAME = "test_install"
PROGRAM = r'''
#include <hota/error.h>
#include <hota/ota.h>
#include <hota/version.h>
#include <stdio.h>
int main(void)
{
    hota_ota_cfg_t cfg;
    hota_ota_cfg_init(&cfg);
    printf("%s %s %s\n", HOTA_VERSION_STRING, hota_errname(HOTA_E_TRUNCATED),
           hota_strerror(HOTA_E_TRUNCATED));
    return 0;
}
'''


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300, **kw)


def main():
    build = os.path.dirname(os.environ["HOTA_BIN"])
    failed = 0

    def check(cond, what, out=""):
        nonlocal failed
        print("%s: %s" % ("ok" if cond else "FAIL", what))
        if not cond:
            failed += 1
            print(out)

    with tempfile.TemporaryDirectory(prefix="hota-install-") as tmp:
        prefix = os.path.join(tmp, "prefix")
        r = run(["cmake", "--install", build, "--prefix", prefix])
        check(r.returncode == 0, "cmake --install succeeds", r.stdout)
        check(os.access(os.path.join(prefix, "bin", "hota"), os.X_OK), "bin/hota installed")
        for pat in ("lib*/**/libhota.so*", "lib*/**/libhota.a", "lib*/**/pkgconfig/hota.pc"):
            check(glob.glob(os.path.join(prefix, pat), recursive=True), pat + " installed")
        for h in ("error.h", "ota.h", "http.h", "transport.h", "image.h", "flash.h"):
            check(os.path.exists(os.path.join(prefix, "include", "hota", h)),
                  "include/hota/" + h + " installed")
        pcs = glob.glob(os.path.join(prefix, "lib*/**/pkgconfig/hota.pc"), recursive=True)
        if not pcs:
            return 1
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pcs[0]))
        flags = run(["pkg-config", "--cflags", "--libs", "hota"], env=env)
        check(flags.returncode == 0, "pkg-config knows hota", flags.stdout)
        src = os.path.join(tmp, "use.c")
        with open(src, "w") as f:
            f.write(PROGRAM)
        exe = os.path.join(tmp, "use")
        extra = os.environ.get("HOTA_TEST_CFLAGS", "").split()
        cc = run(["cc", "-std=c11", "-Wall", "-Werror"] + extra + [src, "-o", exe]
                 + flags.stdout.split(), env=env)
        check(cc.returncode == 0, "a program builds against the installed hota", cc.stdout)
        if cc.returncode != 0:
            return 1
        libdir = os.path.dirname(os.path.dirname(pcs[0]))
        out = run([exe], env=dict(os.environ, LD_LIBRARY_PATH=libdir))
        check(out.returncode == 0 and out.stdout.split()[1] == "TRUNCATED",
              "it runs against libhota.so: %r" % out.stdout.strip(), out.stdout)
        hb = run([os.path.join(prefix, "bin", "hota"), "version"])
        check(hb.returncode == 0 and hb.stdout.startswith("hota "), "installed CLI runs",
              hb.stdout)
    print("%s: %d failed" % (NAME, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
