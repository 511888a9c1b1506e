"""Print irctest's results per test module from pytest's JUnit XML, and check a threshold.

Usage: conformance_table.py RESULTS.xml MIN_PASSED

Called by scripts/conformance.sh once per selection. The per-module table shows where the
failures and skips are (irctest's own summary only gives totals); the exit status is 1 when fewer
than MIN_PASSED tests passed, so CI can demand a count once it is reached.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass

PREFIX = "irctest.server_tests."
RANK = {"passed": 0, "skipped": 1, "failed": 2}


@dataclass
class Counts:
    """Outcomes of one module's tests (errors count as failures, xfails as skips)."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def outcome(case: ET.Element) -> str:
    """passed, failed or skipped, from the child elements pytest writes into a <testcase>."""
    tags = {child.tag for child in case}
    if tags & {"failure", "error"}:
        return "failed"
    if "skipped" in tags:
        return "skipped"
    return "passed"


def main(argv: list[str]) -> int:
    path, minimum = argv[1], int(argv[2])
    # A test that failed and then errored in teardown has two <testcase> entries: count it once,
    # with its worst outcome.
    results: dict[tuple[str, str], str] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        key = (case.get("classname", ""), case.get("name", ""))
        result = outcome(case)
        if RANK[result] > RANK[results.get(key, "passed")]:
            results[key] = result
        else:
            results.setdefault(key, result)
    modules: dict[str, Counts] = {}
    total = Counts()
    for (classname, _name), result in results.items():
        module = classname.rsplit(".", 1)[0] if "." in classname else classname
        module = module.removeprefix(PREFIX)
        modules.setdefault(module, Counts()).add(result)
        total.add(result)
    width = max([len("module"), *map(len, modules)])
    print(f"{'module':<{width}}  passed  failed  skipped")
    for name in sorted(modules):
        c = modules[name]
        print(f"{name:<{width}}  {c.passed:>6}  {c.failed:>6}  {c.skipped:>7}")
    print(f"{'total':<{width}}  {total.passed:>6}  {total.failed:>6}  {total.skipped:>7}")
    if total.passed < minimum:
        print(f"conformance: {total.passed} passed, below the threshold of {minimum}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
