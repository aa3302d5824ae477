"""Scenario 2's baseline: the same upstream calls as a dry run's plan, made by `curl --parallel`, one
curl per upstream (all four at once), each at that upstream's concurrency: what a user would script
instead of running a gateway. Same paths, bodies and headers (auth, Accept, Content-Type, an empty
Expect, X-Request-ID) as the gateway sends; the C1 token is fetched once beforehand."""
import json
import os
import resource
import subprocess
import time
import uuid

from .procs import BenchError


def _auth_header(upstream, c1_token):
    auth = upstream["auth"]
    if auth["type"] == "bearer":
        return "Authorization: Bearer " + auth["token"]
    if auth["type"] == "header":
        return f"{auth['name']}: {auth['value']}"
    if auth["type"] == "oauth2_client_credentials":
        return "Authorization: Bearer " + c1_token
    raise BenchError(f"curl baseline: auth type {auth['type']} not handled")


def _body(upstream, call, reason):
    """(body text or None, content type) as the gateway's adapter sends it."""
    provider, path = upstream["provider"], call["path"]
    if provider == "kubiya":
        if path.endswith("/batch/terminate"):
            return json.dumps({"execution_ids": call["ids"], "reason": reason}), "application/json"
        return json.dumps({"reason": reason}), "application/json"
    if provider == "skyvern":
        return json.dumps({"run_ids": call["ids"]}), "application/json"
    if provider == "c1":
        return "{}", "application/json"
    return None, None  # meibel: POST without a body


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Batch:
    """The curl config files of one plan, ready to run."""

    def __init__(self, plan, upstreams, concurrency, c1_token, reason, workdir, tag):
        self.jobs = []
        request_id = str(uuid.uuid4())
        directory = os.path.join(workdir, "curl-" + tag)
        os.makedirs(directory, mode=0o700)
        by_upstream = {}
        for call in plan:
            by_upstream.setdefault(call["upstream"], []).append(call)
        for name, calls in by_upstream.items():
            upstream = upstreams[name]
            lines, answers = [], []
            for number, call in enumerate(calls):
                body, content_type = _body(upstream, call, reason)
                lines.append("url = " + _quote(upstream["base_url"] + call["path"]))
                lines.append("request = " + _quote(call["method"]))
                lines.append("header = " + _quote(_auth_header(upstream, c1_token)))
                lines.append('header = "Accept: application/json"')
                lines.append('header = "Expect:"')
                lines.append("header = " + _quote("X-Request-ID: " + request_id))
                if body is None:
                    lines.append('data = ""')
                    lines.append('header = "Content-Type:"')
                else:
                    lines.append("header = " + _quote("Content-Type: " + content_type))
                    body_path = os.path.join(directory, f"{name}-{number}.json")
                    with open(body_path, "w") as file:
                        file.write(body)
                    lines.append("data-binary = " + _quote("@" + body_path))
                if len(call["ids"]) > 1:
                    answer = os.path.join(directory, f"{name}-{number}.answer")
                    answers.append((answer, call["ids"]))
                    lines.append("output = " + _quote(answer))
                else:
                    lines.append('output = "/dev/null"')
                lines.append('write-out = "%{http_code}\\n"')
                if number < len(calls) - 1:
                    lines.append("next")
            config = os.path.join(directory, name + ".curlrc")
            fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as file:
                file.write("\n".join(lines) + "\n")
            self.jobs.append({"upstream": name, "provider": upstream["provider"], "config": config, "calls": len(calls),
                              "answers": answers, "codes": os.path.join(directory, name + ".codes"),
                              "concurrency": concurrency[name]})

    def run(self, env):
        """Runs every upstream's curl at once; returns (wall seconds, CPU seconds of the curls)."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        procs = []
        started = time.perf_counter()
        for job in self.jobs:
            with open(job["codes"], "wb") as codes:
                procs.append(subprocess.Popen(
                    ["curl", "--silent", "--show-error", "--noproxy", "*", "--parallel", "--parallel-immediate",
                     "--parallel-max", str(job["concurrency"]), "--config", job["config"]],
                    stdout=codes, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env))
        errors = [proc.communicate()[1] for proc in procs]
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        for job, proc, error in zip(self.jobs, procs, errors):
            if proc.returncode != 0:
                raise BenchError(f"curl baseline: curl for {job['upstream']} exited {proc.returncode}: {error.decode(errors='replace')[:300]}")
            self._check(job)
        return elapsed, cpu

    @staticmethod
    def _check(job):
        with open(job["codes"]) as file:
            codes = file.read().split()
        if len(codes) != job["calls"] or any(code != "200" for code in codes):
            bad = [code for code in codes if code != "200"]
            raise BenchError(f"curl baseline: {job['upstream']}: {len(codes)} answers for {job['calls']} calls, not 200: {bad[:5]}")
        for path, ids in job["answers"]:
            with open(path) as file:
                answer = json.load(file)
            if job["provider"] == "kubiya":
                done = [item["execution_id"] for item in answer["results"] if item.get("success")]
            else:
                done = answer.get("cancelled", [])
            if sorted(done) != sorted(ids):
                raise BenchError(f"curl baseline: {job['upstream']}: {len(done)} of {len(ids)} IDs cancelled in one call")
