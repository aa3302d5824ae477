"""Processes the suite starts: each in its own session, logged to a file, stopped by its own id at exit."""
import os
import re
import signal
import subprocess
import time

from . import http


class BenchError(Exception):
    """A failure that makes the run worthless: a process that did not start, an incomplete report."""


def clean_env():
    """The environment for every child: no proxy variables, so nothing leaves 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


class Procs:
    """Starts processes and remembers them, so `stop_all` (called at exit) can end each one by its id."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.env = clean_env()
        self.started = []

    def start(self, name, argv, extra_env=None):
        log_path = os.path.join(self.workdir, name + ".log")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env=dict(self.env, **(extra_env or {})), start_new_session=True)
        proc.bench_name = name
        proc.log_path = log_path
        self.started.append(proc)
        return proc

    def stop(self, proc, timeout=15):
        """SIGTERM to the process group it leads (nginx's workers, nothing else), then SIGKILL."""
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(5)
        if proc in self.started:
            self.started.remove(proc)

    def stop_all(self):
        for proc in reversed(list(self.started)):
            try:
                self.stop(proc, timeout=5)
            except Exception:  # noqa: BLE001 - cleanup must go on to the next process
                pass


def log_tail(proc, lines=15):
    try:
        with open(proc.log_path, "rb") as log:
            text = log.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def wait_for_line(proc, pattern, timeout):
    """Polls the process's log until `pattern` matches; fails if the process exits or time runs out."""
    regex = re.compile(pattern)
    end = time.monotonic() + timeout
    while True:
        try:
            with open(proc.log_path, "rb") as log:
                match = regex.search(log.read().decode("utf-8", "replace"))
        except OSError:
            match = None
        if match:
            return match
        if proc.poll() is not None:
            raise BenchError(f"{proc.bench_name} exited with status {proc.returncode} before it was ready:\n{log_tail(proc)}")
        if time.monotonic() > end:
            raise BenchError(f"{proc.bench_name} was not ready after {timeout} s:\n{log_tail(proc)}")
        time.sleep(0.05)


def wait_ready(proc, url, timeout):
    """Polls `url` until it answers 200."""
    end = time.monotonic() + timeout
    while True:
        try:
            status, _ = http.request("GET", url, timeout=5)
            if status == 200:
                return
        except OSError:
            pass
        if proc.poll() is not None:
            raise BenchError(f"{proc.bench_name} exited with status {proc.returncode} before it was ready:\n{log_tail(proc)}")
        if time.monotonic() > end:
            raise BenchError(f"{proc.bench_name}: {url} did not answer 200 within {timeout} s:\n{log_tail(proc)}")
        time.sleep(0.05)


def status_kib(pid, field):
    """A `kB` field of /proc/PID/status (VmRSS, VmHWM), in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise BenchError(f"/proc/{pid}/status has no {field}")


def reset_peak_rss(pid):
    """Resets VmHWM to the current RSS (writing 5 to clear_refs, Linux ≥ 4.0). False if refused."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def context_switches(pid):
    """Voluntary + involuntary context switches of every live thread of a process so far
    (/proc/PID/task/*/status); threads that ended are not counted."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as status:
                for line in status:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total


def cpu_seconds(pid):
    """user + system CPU time of a process so far, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid):
    """user + system CPU time of every live process in a process group (nginx's master and workers)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total
