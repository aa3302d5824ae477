"""Tools, the binary under test, and a description of the machine."""
import os
import platform
import shutil
import subprocess
import time

from .procs import BenchError

# command → Debian package
TOOLS = {"wrk": "wrk", "nginx": "nginx", "valgrind": "valgrind", "callgrind_control": "valgrind", "curl": "curl",
         "openssl": "openssl", "objcopy": "binutils"}


def ensure_tools(names, say):
    missing = sorted({TOOLS[name] for name in names if shutil.which(name) is None and not os.path.exists(f"/usr/sbin/{name}")})
    if not missing:
        return
    if os.geteuid() != 0:
        raise BenchError("missing tools; install them with: sudo apt-get install -y " + " ".join(missing))
    say("installing " + " ".join(missing) + " (apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-qq", *missing]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
        done = subprocess.run(install, env=env, capture_output=True)
        if done.returncode != 0:
            raise BenchError("apt-get install failed: " + done.stderr.decode(errors="replace")[-500:])
    os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin"


def release_binary(repo, scratch, say):
    """`swift build -c release` of cancelgate and cancelgate-components into the scratch path;
    returns the cancelgate binary (the components one is beside it)."""
    if not any(os.path.exists(p) for p in ("/usr/include/x86_64-linux-gnu/curl/curl.h", "/usr/include/curl/curl.h")):
        subprocess.run(["make", "-s", "deps"], cwd=repo, check=True)
    say(f"building cancelgate (release, scratch path {scratch}) ...")
    started = time.monotonic()
    for product in ("cancelgate", "cancelgate-components"):
        done = subprocess.run(["swift", "build", "-c", "release", "--product", product, "--scratch-path", scratch],
                              cwd=repo, capture_output=True)
        if done.returncode != 0:
            raise BenchError("release build failed:\n" + (done.stdout + done.stderr).decode(errors="replace")[-3000:])
    say(f"built in {time.monotonic() - started:.0f} s")
    return os.path.join(repo, scratch, "release", "cancelgate")


def _first_line(argv):
    try:
        return subprocess.run(argv, capture_output=True, timeout=30).stdout.decode(errors="replace").strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return None


def machine(repo):
    model = None
    try:
        for line in subprocess.run(["lscpu"], capture_output=True).stdout.decode().splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    mem_kib = None
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    commit = _first_line(["git", "-C", repo, "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"], capture_output=True).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "mem_gib": round(mem_kib / 1048576, 1) if mem_kib else None,
        "kernel": platform.release(),
        "swift": _first_line(["swift", "--version"]),
        "commit": (commit + ("+local changes" if dirty else "")) if commit else None,
        "tools": {
            "wrk": _first_line(["wrk", "--version"]),
            "nginx": (subprocess.run(["nginx", "-v"], capture_output=True).stderr.decode().strip() or None) if shutil.which("nginx") or os.path.exists("/usr/sbin/nginx") else None,
            "curl": _first_line(["curl", "--version"]),
            "valgrind": _first_line(["valgrind", "--version"]),
        },
    }
