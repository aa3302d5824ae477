#!/usr/bin/env python3
"""Validates routes.json against routes.schema.json, and checks known-bad documents are rejected.

Needs the `jsonschema` package (pip install jsonschema). Exits non-zero on any failure.
Run from anywhere: paths are found from this file's location.
"""
import copy
import json
import pathlib
import sys

try:
    import jsonschema
except ImportError:
    print("check-schema: the python package jsonschema is missing (pip install jsonschema)", file=sys.stderr)
    sys.exit(2)

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load(name):
    with open(ROOT / name, encoding="utf-8") as f:
        return json.load(f)


def mutated(base, change):
    doc = copy.deepcopy(base)
    change(doc)
    return doc


def main():
    schema = load("routes.schema.json")
    routes = load("routes.json")
    validator_class = jsonschema.Draft202012Validator
    failures = []
    try:
        validator_class.check_schema(schema)
    except jsonschema.SchemaError as error:
        print(f"FAIL routes.schema.json is not a valid 2020-12 schema: {error.message}")
        return 1
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)

    def expect_valid(name, doc):
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors:
            failures.append(name)
            print(f"FAIL {name}: rejected")
            for error in errors:
                print(f"  /{'/'.join(map(str, error.absolute_path))}: {error.message}")
        else:
            print(f"ok   {name}: valid")

    def expect_invalid(name, doc):
        if validator.is_valid(doc):
            failures.append(name)
            print(f"FAIL {name}: accepted, should be rejected")
        else:
            print(f"ok   {name}: rejected")

    expect_valid("routes.json", routes)
    expect_valid("minimal config", {"upstreams": {"k": {"provider": "kubiya", "base_url": "http://127.0.0.1:9000"}}})
    expect_valid("$schema key", mutated(routes, lambda d: d.update({"$schema": "./routes.schema.json"})))
    expect_valid("kubiya single mode", mutated(routes, lambda d: d["upstreams"]["kubiya"].update(mode="single")))
    expect_valid("idempotency_max_entries", mutated(routes, lambda d: d["server"].update(idempotency_max_entries=50000)))

    bad = {
        "unknown top-level key": lambda d: d.update(extra=1),
        "unknown server key": lambda d: d["server"].update(hots="x"),
        "unknown upstream key": lambda d: d["upstreams"]["kubiya"].update(batchsize=10),
        "unknown auth key": lambda d: d["upstreams"]["kubiya"]["auth"].update(tokn="x"),
        "unknown retry key": lambda d: d["upstreams"]["kubiya"]["retry"].update(attempts=2),
        "unknown route key": lambda d: d["routes"][0].update(upstrem="c1"),
        "unknown client key": lambda d: d["clients"][0].update(role="admin"),
        "no upstreams": lambda d: d.pop("upstreams"),
        "empty upstreams": lambda d: d.update(upstreams={}),
        "bad upstream name": lambda d: d["upstreams"].update({"bad name": d["upstreams"]["c1"]}),
        "unknown provider": lambda d: d["upstreams"]["c1"].update(provider="c2"),
        "missing base_url": lambda d: d["upstreams"]["c1"].pop("base_url"),
        "ftp base_url": lambda d: d["upstreams"]["c1"].update(base_url="ftp://example.com"),
        "base_url with query": lambda d: d["upstreams"]["c1"].update(base_url="https://example.com/?a=1"),
        "batch_size 101": lambda d: d["upstreams"]["kubiya"].update(batch_size=101),
        "batch_size as string": lambda d: d["upstreams"]["kubiya"].update(batch_size="100"),
        "concurrency 0": lambda d: d["upstreams"]["kubiya"].update(concurrency=0),
        "max_attempts 11": lambda d: d["upstreams"]["kubiya"]["retry"].update(max_attempts=11),
        "port 70000": lambda d: d["server"].update(port=70000),
        "max_body_bytes 10": lambda d: d["server"].update(max_body_bytes=10),
        "empty default_reason": lambda d: d["server"].update(default_reason=""),
        "idempotency_max_entries 0": lambda d: d["server"].update(idempotency_max_entries=0),
        "idempotency_max_entries as string": lambda d: d["server"].update(idempotency_max_entries="10000"),
        "mode single on skyvern": lambda d: d["upstreams"]["skyvern"].update(mode="single"),
        "unknown mode": lambda d: d["upstreams"]["kubiya"].update(mode="bulk"),
        "unknown auth type": lambda d: d["upstreams"]["kubiya"].update(auth={"type": "basic", "token": "x"}),
        "bearer without token": lambda d: d["upstreams"]["kubiya"].update(auth={"type": "bearer"}),
        "header with bad name": lambda d: d["upstreams"]["skyvern"]["auth"].update(name="x api key"),
        "oauth2 without client_secret": lambda d: d["upstreams"]["c1"]["auth"].pop("client_secret"),
        "relative token_url without slash": lambda d: d["upstreams"]["c1"]["auth"].update(token_url="auth/v1/token"),
        "match with prefix and regex": lambda d: d["routes"][0]["match"].update(regex="^x"),
        "empty match": lambda d: d["routes"][0].update(match={}),
        "bad regex": lambda d: d["routes"][0].update(match={"regex": "[0-9"}),
        "route without upstream": lambda d: d["routes"][0].pop("upstream"),
        "client without token": lambda d: d["clients"][0].pop("token"),
        "routes not an array": lambda d: d.update(routes={}),
    }
    for name, change in bad.items():
        expect_invalid(name, mutated(routes, change))

    total = 5 + len(bad)
    print(f"check-schema: {total - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
