"""A private PostgreSQL cluster on a free loopback port for the store scenario (Debian's
`postgresql` package; as user `postgres` through runuser when run as root, since initdb refuses
root). Trust authentication on 127.0.0.1 only; stopped at the end."""
import glob
import os
import shutil
import socket
import subprocess
import tempfile

from .procs import BenchError


def bin_dir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


class Cluster:
    def __init__(self):
        self.bin = bin_dir()
        if self.bin is None:
            raise BenchError("PostgreSQL is not installed (apt-get install postgresql)")
        self.dir = tempfile.mkdtemp(prefix="cancelgate-bench-pg-")
        self.data = os.path.join(self.dir, "data")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")

    def run(self, tool, *args):
        argv = [os.path.join(self.bin, tool), *args]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        # Output to a file, not a pipe: the server pg_ctl starts keeps inherited descriptors, and
        # a pipe would never reach its end.
        out_path = os.path.join(self.dir, f"{tool}.out")
        with open(out_path, "wb") as out:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=self.dir, timeout=120)
        with open(out_path, "rb") as out:
            text = out.read().decode(errors="replace")
        if done.returncode != 0:
            raise BenchError(f"{tool} failed: {text[-500:]}")
        return text

    def start(self):
        self.run("initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as file:
            file.write("host all all 127.0.0.1/32 trust\n")
        # Durable as in production (fsync on): the store's cost is what is measured.
        self.run("pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "server.log"), "-w", "-t", "60",
                 "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "start")
        self.run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-c", "CREATE DATABASE bench")
        return f"postgres://postgres@127.0.0.1:{self.port}/bench?sslmode=disable"

    def stop(self):
        try:
            self.run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        except BenchError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
