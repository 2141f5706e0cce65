#!/usr/bin/python3
"""Validates layergc JSON documents against the JSON Schemas in docs/schema/.

  validate_json.py --schemas DIR --docs DIR      every ```json block in DIR/**/*.md that declares
                                                 "schema": "layergc.<name>/v<N>"
  validate_json.py --schemas DIR FILE...         documents (one JSON document per file)

The schema file for "layergc.X/vN" is DIR/layergc.X.vN.schema.json. A block or file that declares
a schema with no schema file, does not parse, or does not validate is an error; a block that does
not parse and elides with "..." is a sketch, reported and not validated. Exit 0 only when
at least one document was validated and all were valid.
"""
import argparse
import json
import pathlib
import re
import sys

import warnings

import jsonschema

# RefResolver is deprecated after 4.17 (Debian 12 has 4.10), still works, and has no replacement there.
warnings.filterwarnings("ignore", category=DeprecationWarning)

DECLARES = re.compile(r'"schema"\s*:\s*"(layergc\.[a-z-]+/v[0-9]+)"')
FENCE = re.compile(r"^```json[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def load_schemas(schema_dir):
    store = {}
    by_name = {}
    for path in sorted(pathlib.Path(schema_dir).glob("*.schema.json")):
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        store[schema["$id"]] = schema
        by_name[schema["title"]] = schema
    return store, by_name


def validate(doc, where, store, by_name, errors):
    name = doc.get("schema") if isinstance(doc, dict) else None
    if name not in by_name:
        errors.append(f"{where}: declares schema {name!r}, for which docs/schema/ has no file")
        return False
    schema = by_name[name]
    resolver = jsonschema.RefResolver(schema["$id"], schema, store=store)
    validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
    found = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in found:
        path = "/".join(str(p) for p in e.absolute_path) or "(top)"
        errors.append(f"{where}: {name}: at {path}: {e.message}")
    return not found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--schemas", required=True)
    ap.add_argument("--docs")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    store, by_name = load_schemas(args.schemas)
    errors, checked = [], 0
    if args.docs:
        for md in sorted(pathlib.Path(args.docs).rglob("*.md")):
            text = md.read_text()
            for m in FENCE.finditer(text):
                block = m.group(1)
                declared = DECLARES.search(block)
                if not declared:
                    continue
                line = text.count("\n", 0, m.start()) + 2
                where = f"{md}:{line}"
                try:
                    doc = json.loads(block)
                except json.JSONDecodeError as e:
                    if "..." in block or "\u2026" in block:
                        # An elided sketch ("...": more fields), not an example a tool can use.
                        print(f"not validated (elided with ...): {where}")
                        continue
                    errors.append(f"{where}: a ```json example that declares {declared.group(1)} "
                                  f"is not JSON ({e}); elide with a ```text block instead")
                    continue
                checked += 1
                if validate(doc, where, store, by_name, errors):
                    print(f"ok {where} {doc['schema']}")
    for f in args.files:
        try:
            doc = json.loads(pathlib.Path(f).read_text())
        except (OSError, json.JSONDecodeError) as e:
            errors.append(f"{f}: {e}")
            continue
        checked += 1
        if validate(doc, f, store, by_name, errors):
            print(f"ok {f} {doc['schema']}")
    for e in errors:
        print("INVALID " + e, file=sys.stderr)
    if checked == 0:
        print("no document was validated", file=sys.stderr)
        return 1
    print(f"{checked} document(s) checked, {len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
