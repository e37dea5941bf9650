#!/usr/bin/env python3
"""Reads clap-validator's `validate --json` output and holds it to Loadline's expectations.

    python3 scripts/check_validator.py VALIDATE.json tests/clap_validator_skips.txt

It prints one line per test (its status, and the validator's reason for anything not passed)
and the tally, then fails when any test failed, crashed or warned, or when the skipped tests
are not exactly those listed in the skips file: a test the validator newly skips (a feature
it can no longer see) fails the run as surely as one it newly fails, and so does a listed skip
that now runs (the list, and docs/testing.md's table of reasons, are then out of date).
"""

import json
import sys


def test_name(case):
    """The test's kebab-case name from a `TestCase` (`{"plugin-instance": {"test": …}}`)."""
    for kind in case.values():
        return kind["test"]
    raise ValueError(f"no test in {case!r}")


def expected_skips(path):
    """The skips file's test names: one per line, anything after `#` a comment."""
    names = set()
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            name = line.split("#", 1)[0].strip()
            if name:
                names.add(name)
    return names


def main(report_path, skips_path):
    with open(report_path, encoding="utf-8") as report:
        results = json.load(report)["results"]
    if not results:
        print(f"clap-validator ran no test ({report_path})", file=sys.stderr)
        return 1
    tally = {}
    skipped = set()
    bad = []
    for result in results:
        name = test_name(result["test"])
        code = result["status"]["code"]
        details = result["status"].get("details") or ""
        tally[code] = tally.get(code, 0) + 1
        print(f"  {code:8} {name}" + (f": {details}" if details and code != "success" else ""))
        if code == "skipped":
            skipped.add(name)
        elif code != "success":
            bad.append(name)
    print(
        f"clap-validator: {len(results)} tests run, {tally.get('success', 0)} passed, "
        f"{tally.get('failed', 0) + tally.get('crashed', 0)} failed, "
        f"{tally.get('warning', 0)} warnings, {tally.get('skipped', 0)} skipped"
    )
    expected = expected_skips(skips_path)
    failed = False
    if bad:
        print(f"clap-validator: not passed: {', '.join(sorted(bad))}", file=sys.stderr)
        failed = True
    if skipped - expected:
        print(
            f"clap-validator: skipped, but not in {skips_path}: "
            f"{', '.join(sorted(skipped - expected))}",
            file=sys.stderr,
        )
        failed = True
    if expected - skipped:
        print(
            f"clap-validator: listed in {skips_path}, but not skipped: "
            f"{', '.join(sorted(expected - skipped))}",
            file=sys.stderr,
        )
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
