#!/usr/bin/env python3
"""Validates physiocase FHIR exports against the FHIR R4B models of the fhir.resources
package (R4B shares R4's resources and element rules for everything physiocase writes).

usage: fhir-check.py BUNDLE.json [BUNDLE.json ...]
Prints one line per bundle; exits 1 naming the first resource that does not validate,
2 when fhir.resources is not installed.
"""
import json
import sys

try:
    from fhir.resources.R4B import get_fhir_model_class
except ImportError:
    print("fhir.resources is not installed (pip install 'fhir.resources==8.3.0')", file=sys.stderr)
    sys.exit(2)


def check(path):
    with open(path, encoding="utf-8") as f:
        bundle = json.load(f)
    counts = {}
    for index, entry in enumerate(bundle.get("entry", [])):
        resource = entry.get("resource", {})
        kind = resource.get("resourceType", "?")
        try:
            get_fhir_model_class(kind).model_validate(resource)
        except Exception as error:  # the model's message names the field
            print(f"{path}: entry {index} ({kind} {resource.get('id')}) is not valid R4B:\n{error}", file=sys.stderr)
            return False
        counts[kind] = counts.get(kind, 0) + 1
    try:
        get_fhir_model_class("Bundle").model_validate(bundle)
    except Exception as error:
        print(f"{path}: the Bundle is not valid R4B:\n{error}", file=sys.stderr)
        return False
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    print(f"{path}: valid R4B ({summary})")
    return True


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    sys.exit(0 if all(check(p) for p in sys.argv[1:]) else 1)
