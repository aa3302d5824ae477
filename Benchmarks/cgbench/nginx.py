"""Scenario 3's baseline proxy: nginx `proxy_pass` to an upstream, keep-alive to it (as a tuned
plain proxy would be), access log on (nginx's default; cancelgate logs each request at info).
And the fair baseline's upstream: an nginx that answers every request with Kubiya's single
terminate 200, so that neither proxy is capped by the upstream."""
import os
import socket

from . import procs as processes

# What both nginx configurations share: one process group in the foreground, files in {dir}.
COMMON = """\
daemon off;
master_process on;
worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
"""

CONF = COMMON + """\
    access_log {dir}/nginx-access.log;
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


# Kubiya's `POST /api/v1/executions/{id}/terminate` 200 (upstream-apis/BEHAVIOR.md), whatever the
# request: nginx discards the body. No access log: it is the upstream, not a party measured.
STATIC = COMMON + """\
    access_log off;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location = /__ready {{ return 200; }}
        location / {{
            default_type application/json;
            return 200 '{{"success":true,"workflow_id":"wf-static","terminated_at":"2026-12-04T00:00:00Z"}}';
        }}
    }}
}}
"""


def free_port():
    """A port the kernel just handed out; nginx cannot listen on port 0 and report it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(procs, upstream_port=None, timeout=30, name="nginx"):
    """nginx `proxy_pass` to `upstream_port`, or with no upstream the static Kubiya answer."""
    directory = os.path.join(procs.workdir, name)
    os.makedirs(directory, exist_ok=True)
    os.chmod(directory, 0o755)
    last = None
    for _ in range(3):  # a port taken between free_port() and nginx's bind: try another
        port = free_port()
        conf = os.path.join(directory, "nginx.conf")
        with open(conf, "w") as file:
            template = CONF if upstream_port is not None else STATIC
            file.write(template.format(dir=directory, upstream_port=upstream_port, port=port))
        proc = procs.start(name, ["nginx", "-p", directory, "-e", os.path.join(directory, "nginx-error.log"), "-c", conf])
        try:
            processes.wait_ready(proc, f"http://127.0.0.1:{port}/__ready", timeout)
            return proc, port
        except processes.BenchError as error:
            last = error
            procs.stop(proc)
    raise last
