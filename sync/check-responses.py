#!/usr/bin/env python3
"""Checks recorded service responses against sync/openapi.yaml.

Usage: check-responses.py openapi.yaml responses.json
responses.json is a list of {"method": "get", "path": "/v1/sync/pull", "status": 200, "body": <JSON>}.
Each body is validated against the schema the spec gives for that path, method and status (OpenAPI 3.0); a status
the spec does not list for the operation is a failure too. Exits 0 when every response conforms.
Needs PyYAML and openapi-schema-validator (pip install pyyaml openapi-schema-validator).
"""
import json
import sys

import yaml
from openapi_schema_validator import OAS30Validator


def resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def main():
    spec = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
    responses = json.load(open(sys.argv[2], encoding="utf-8"))
    failures = []
    for r in responses:
        where = f'{r["method"].upper()} {r["path"]} -> {r["status"]}'
        operation = spec["paths"].get(r["path"], {}).get(r["method"])
        if operation is None:
            failures.append(f"{where}: the operation is not in the spec")
            continue
        answer = operation["responses"].get(str(r["status"])) or operation["responses"].get("default")
        if answer is None:
            failures.append(f"{where}: the spec lists no such status (it lists {sorted(operation['responses'])})")
            continue
        answer = resolve(spec, answer)
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            continue
        # Validate with the whole spec as the root document, so #/components/... references resolve.
        root = dict(schema)
        root["components"] = spec.get("components", {})
        errors = sorted(OAS30Validator(root).iter_errors(r["body"]), key=lambda e: list(e.path))
        for e in errors[:3]:
            failures.append(f"{where}: {'/'.join(map(str, e.path)) or '(body)'}: {e.message}")
    for f in failures:
        print(f)
    print(f"{len(responses)} responses checked, {len(failures)} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
