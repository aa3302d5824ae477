#!/usr/bin/env python3
"""Validates real gateway answers, recorded by the Swift test suite, against openapi.json.

The tests write one JSON line per answer they get through GatewayHarness when
CANCELGATE_RECORD_RESPONSES=<file> is set (see RecordingTestClient in
Tests/CancelgateServerTests/OpenAPITests.swift):
    {"test", "method", "uri", "status", "headers": {lower-case name: value}, "body"}
Each answer is checked with openapi-core (status documented for its operation, media type, body
schema, documented headers). An answer for a path the document does not have must be the
documented 404 problem (components/responses/NotFound); one for a documented path with a method
it does not document, the 405 problem (components/responses/MethodNotAllowed) whose Allow header
lists exactly the path's documented methods.

Fails when any answer breaks the document, when some documented operation has no answer at all,
or when POST /v1/cancel was seen with fewer than --min-cancel-statuses distinct statuses.

Needs openapi-core (pip install openapi-core). Usage:
    .ci/validate-responses.py RECORDS.jsonl [--openapi PATH] [--min-cancel-statuses N]
"""
import argparse
import collections
import json
import pathlib
import sys
from urllib.parse import parse_qsl, urlsplit

try:
    import jsonschema
    from openapi_core import Config, OpenAPI
    from openapi_core.testing import MockRequest, MockResponse
    from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
except ImportError:
    print("validate-responses: the python package openapi-core is missing (pip install openapi-core)", file=sys.stderr)
    sys.exit(2)

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_DOCUMENT = ROOT / "Sources/CancelgateServer/Resources/openapi.json"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
PROBLEM_JSON = "application/problem+json"


def media_type(headers):
    return headers.get("content-type", "").split(";")[0].strip().lower()


class Checker:
    def __init__(self, document_path):
        with open(document_path, encoding="utf-8") as f:
            self.document = json.load(f)
        # openapi-core parses application/json only; problem+json is JSON too.
        config = Config(extra_media_type_deserializers={PROBLEM_JSON: json.loads})
        self.api = OpenAPI.from_dict(self.document, config=config)
        not_found = "#/components/responses/NotFound/content/application~1problem+json/schema"
        self.not_found = jsonschema.Draft202012Validator({"$ref": not_found, "components": self.document["components"]})
        not_allowed = "#/components/responses/MethodNotAllowed/content/application~1problem+json/schema"
        self.not_allowed = jsonschema.Draft202012Validator({"$ref": not_allowed, "components": self.document["components"]})

    def operations(self):
        return {(method, path) for path, item in self.document["paths"].items() for method in item if method in METHODS}

    def check(self, record):
        """Returns (operation key, list of problems) for one recorded answer."""
        method = record["method"].lower()
        url = urlsplit(record["uri"])
        headers = record["headers"]
        body = record["body"].encode("utf-8")
        # The operation's key is its path template (`/v1/cancels/{request_id}`).
        template = self.template(url.path)
        key = (method, template)
        item = self.document["paths"].get(template, {})
        if method == "head" and "get" in item:
            # Every GET also answers HEAD (the document's description): a GET status, no body.
            ok = str(record["status"]) in item["get"]["responses"] and not body
            return key, [] if ok else [f"HEAD answered {record['status']} with {len(body)} bytes, not a GET status without a body"]
        request = MockRequest("http://127.0.0.1", method, url.path, args=dict(parse_qsl(url.query, keep_blank_values=True)))
        response = MockResponse(body, status_code=record["status"], headers=headers, content_type=headers.get("content-type", ""))
        try:
            self.api.validate_response(request, response)
            return key, []
        except OperationNotFound:
            return ("*", "method not documented"), self.check_not_allowed(record, url.path)
        except PathNotFound:
            return ("*", "not documented"), self.check_not_found(record)
        except Exception as error:  # every openapi-core validation error
            cause = f" ({error.__cause__})" if error.__cause__ else ""
            return key, [f"{type(error).__name__}: {error}{cause}"]

    def template(self, path):
        """The document's path for a concrete one: itself, or the template whose `{param}`
        segments match; the path itself when none does."""
        if path in self.document["paths"]:
            return path
        parts = path.split("/")
        for candidate in self.document["paths"]:
            pattern = candidate.split("/")
            if len(pattern) == len(parts) and all(p == q or (p.startswith("{") and p.endswith("}") and q) for p, q in zip(pattern, parts)):
                return candidate
        return path

    def check_not_found(self, record):
        if record["status"] != 404 or media_type(record["headers"]) != PROBLEM_JSON:
            return [f"undocumented operation answered {record['status']} {media_type(record['headers'])}, not the 404 problem"]
        try:
            body = json.loads(record["body"])
        except ValueError:
            return ["404 body is not JSON"]
        return [f"404 body: {e.message}" for e in self.not_found.iter_errors(body)]


    def check_not_allowed(self, record, path):
        if record["status"] != 405 or media_type(record["headers"]) != PROBLEM_JSON:
            return [f"undocumented method answered {record['status']} {media_type(record['headers'])}, not the 405 problem"]
        methods = {m for m in self.document["paths"][self.template(path)] if m in METHODS}
        if "get" in methods:
            methods.add("head")  # every GET also answers HEAD
        documented = sorted(m.upper() for m in methods)
        allow = sorted(m.strip() for m in record["headers"].get("allow", "").split(",") if m.strip())
        problems = [] if allow == documented else [f"405 Allow {allow} is not the documented methods {documented}"]
        try:
            body = json.loads(record["body"])
        except ValueError:
            return problems + ["405 body is not JSON"]
        return problems + [f"405 body: {e.message}" for e in self.not_allowed.iter_errors(body)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records")
    parser.add_argument("--openapi", default=str(DEFAULT_DOCUMENT))
    parser.add_argument("--min-cancel-statuses", type=int, default=4)
    args = parser.parse_args()

    checker = Checker(args.openapi)
    with open(args.records, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    seen = collections.Counter()
    failures = []
    for record in records:
        key, problems = checker.check(record)
        seen[(key, record["status"])] += 1
        for problem in problems:
            failures.append(f"{record['method']} {record['uri'][:120]} -> {record['status']} (test {record.get('test')}): {problem}")

    print(f"validated {len(records)} recorded answers against {pathlib.Path(args.openapi).name}:")
    for ((method, path), status), count in sorted(seen.items(), key=lambda item: (item[0][0][1], item[0][0][0], item[0][1])):
        print(f"  {method.upper():5} {path:16} {status}  x{count}")

    answered = {key for (key, _status) in seen}
    for method, path in sorted(checker.operations() - answered):
        failures.append(f"{method.upper()} {path}: documented, but no test answer was recorded")
    cancel_statuses = sorted({status for ((key, status)) in seen if key == ("post", "/v1/cancel")})
    if len(cancel_statuses) < args.min_cancel_statuses:
        failures.append(f"POST /v1/cancel answered only {cancel_statuses}; expected at least {args.min_cancel_statuses} distinct statuses")

    for failure in failures:
        print("FAIL " + failure)
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print(f"ok: every answer matches the document; POST /v1/cancel statuses seen: {cancel_statuses}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
