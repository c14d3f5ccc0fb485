#!/usr/bin/env python3
"""Validates a STIX 2.1 bundle against the OASIS STIX 2.1 JSON schemas (tests/data/stix2-schemas,
BSD licence, see its LICENSE and SOURCE.txt): the bundle itself, then every object against the
schema of its type. Exit 0 when valid; prints each violation and exits 1 otherwise.
usage: validate_stix.py SCHEMA_DIR BUNDLE.json"""
import json
import pathlib
import sys

import jsonschema

schema_dir = pathlib.Path(sys.argv[1]) / "schemas"
bundle = json.load(open(sys.argv[2]))

store = {}
for path in schema_dir.rglob("*.json"):
    schema = json.load(open(path))
    store[schema["$id"]] = schema
    store[path.resolve().as_uri()] = schema

import functools

@functools.lru_cache(maxsize=None)
def validator_for(relative):
    schema = json.load(open(schema_dir / relative))
    resolver = jsonschema.RefResolver(base_uri=schema["$id"], referrer=schema, store=store)
    return jsonschema.Draft202012Validator(schema, resolver=resolver, format_checker=jsonschema.FormatChecker())

kinds = {"indicator": "sdos/indicator.json", "identity": "sdos/identity.json",
         "observed-data": "sdos/observed-data.json", "sighting": "sros/sighting.json",
         "infrastructure": "sdos/infrastructure.json", "relationship": "sros/relationship.json",
         "ipv4-addr": "observables/ipv4-addr.json", "ipv6-addr": "observables/ipv6-addr.json"}
# The bundle envelope against bundle.json, with a few objects of each type (bundle.json tries every
# STIX type on every object, which is slow on thousands); then every object against its own schema.
sample, per_type = [], {}
for obj in bundle.get("objects", []):
    n = per_type.get(obj.get("type"), 0)
    if n < 3:
        sample.append(obj)
    per_type[obj.get("type")] = n + 1
envelope = dict(bundle, objects=sample)
errors = [f"bundle: {e.message}" for e in validator_for("common/bundle.json").iter_errors(envelope)]
counts = {}
for i, obj in enumerate(bundle.get("objects", [])):
    kind = obj.get("type")
    if kind not in kinds:
        errors.append(f"objects[{i}]: type {kind!r} has no schema in this test's copy")
        continue
    counts[kind] = counts.get(kind, 0) + 1
    for e in validator_for(kinds[kind]).iter_errors(obj):
        errors.append(f"objects[{i}] ({kind}): {e.message}")
# References must point at objects of the bundle (or the predefined TLP markings).
ids = {o["id"] for o in bundle.get("objects", [])}
for i, obj in enumerate(bundle.get("objects", [])):
    for key in ("sighting_of_ref", "created_by_ref", "source_ref", "target_ref"):
        if key in obj and obj[key] not in ids:
            errors.append(f"objects[{i}]: {key} {obj[key]} is not in the bundle")
for e in errors[:50]:
    print(e)
if errors:
    sys.exit(1)
print("valid STIX 2.1 bundle: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
