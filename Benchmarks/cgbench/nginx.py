"""Scenario 3's baseline proxy: nginx `proxy_pass` to the fake, keep-alive to the upstream (as a
tuned plain proxy would be), access log on (nginx's default; cancelgate logs each request at info)."""
import os
import socket

from . import procs as processes

CONF = """\
daemon off;
master_process on;
worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log {dir}/nginx-access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream fake {{
        server 127.0.0.1:{upstream_port};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location = /__ready {{ return 200; }}
        location / {{
            proxy_pass http://fake;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


def free_port():
    """A port the kernel just handed out; nginx cannot listen on port 0 and report it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(procs, upstream_port, timeout=30):
    directory = os.path.join(procs.workdir, "nginx")
    os.makedirs(directory, exist_ok=True)
    os.chmod(directory, 0o755)
    last = None
    for _ in range(3):  # a port taken between free_port() and nginx's bind: try another
        port = free_port()
        conf = os.path.join(directory, "nginx.conf")
        with open(conf, "w") as file:
            file.write(CONF.format(dir=directory, upstream_port=upstream_port, port=port))
        proc = procs.start("nginx", ["nginx", "-p", directory, "-e", os.path.join(directory, "nginx-error.log"), "-c", conf])
        try:
            processes.wait_ready(proc, f"http://127.0.0.1:{port}/__ready", timeout)
            return proc, port
        except processes.BenchError as error:
            last = error
            procs.stop(proc)
    raise last
