"""A C1 access token for the curl baseline, obtained the way the gateway does it: an Ed25519-signed
JWT client assertion (signed by `openssl pkeyutl`, since Python's standard library has no Ed25519)
sent to the fake's token endpoint. Done once, in set-up, outside any timing."""
import base64
import json
import os
import secrets
import subprocess
import time
import urllib.parse

from . import http
from .procs import BenchError

SECRET_PREFIX = "secret-token:conductorone.com:v1:"
# PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows (RFC 8410).
ED25519_PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fetch(upstream, workdir):
    auth = upstream["auth"]
    secret = auth["client_secret"]
    if not secret.startswith(SECRET_PREFIX):
        raise BenchError("c1: the fakes' client secret is not a secret-token JWK")
    jwk = json.loads(_b64url_decode(secret[len(SECRET_PREFIX):]))
    key_path = os.path.join(workdir, "c1-key.pem")
    der = ED25519_PKCS8_PREFIX + _b64url_decode(jwk["d"])
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as key:
        key.write("-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PRIVATE KEY-----\n")
    client_id = auth["client_id"]
    host = client_id.split("@", 1)[1].split("/", 1)[0]
    now = int(time.time())
    header = {"alg": "EdDSA", "typ": "JWT", "nonce": secrets.token_hex(16)}
    claims = {"iss": client_id, "sub": client_id, "aud": host, "iat": now, "nbf": now, "exp": now + 120}
    signing_input = _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode())
    input_path = os.path.join(workdir, "c1-assertion.txt")
    with open(input_path, "w") as file:
        file.write(signing_input)
    # -rawin (Ed25519 signs the message itself) needs a file: it cannot size stdin.
    signed = subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", key_path, "-in", input_path],
                            capture_output=True)
    os.unlink(key_path)
    os.unlink(input_path)
    if signed.returncode != 0 or len(signed.stdout) != 64:
        raise BenchError("c1: openssl could not sign the client assertion: " + signed.stderr.decode(errors="replace"))
    form = urllib.parse.urlencode({
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": signing_input + "." + _b64url(signed.stdout),
    }).encode()
    token_url = auth.get("token_url", "/auth/v1/token")
    if token_url.startswith("/"):
        token_url = upstream["base_url"] + token_url
    status, body = http.request("POST", token_url, form, {"Content-Type": "application/x-www-form-urlencoded"})
    if status != 200:
        raise BenchError(f"c1: the token endpoint answered {status} to the signed assertion")
    return json.loads(body)["access_token"]
