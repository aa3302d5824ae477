"""HTTP on loopback with urllib, proxies off."""
import json
import time
import urllib.error
import urllib.request

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def request(method, url, body=None, headers=None, timeout=120):
    """(status, body bytes); an HTTP error status is an answer, not an exception."""
    req = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with _opener.open(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def post_json(url, document, timeout=120):
    """(status, parsed answer, seconds from sending to the last byte of the answer)."""
    body = json.dumps(document).encode()
    started = time.perf_counter()
    status, answer = request("POST", url, body, {"Content-Type": "application/json"}, timeout)
    elapsed = time.perf_counter() - started
    try:
        parsed = json.loads(answer)
    except ValueError:
        parsed = None
    return status, parsed, elapsed


def get_json(url, timeout=30):
    status, answer = request("GET", url, timeout=timeout)
    return status, json.loads(answer)
