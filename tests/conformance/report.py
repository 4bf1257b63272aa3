"""Regenerates the README's conformance table from a run of the suite on cpu_serial:
    python3 tests/conformance/report.py
(between the <!-- conformance --> markers; the counts are what test_conformance.py holds the code to)."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import suite  # noqa: E402

README = Path(__file__).resolve().parents[2] / "README.md"
BEGIN, END = "<!-- conformance:begin -->", "<!-- conformance:end -->"


def table(cases, outcomes) -> str:
    counts = suite.summary(cases, outcomes)
    rows = ["| set | pass / total | refused | wrong | crash |", "|---|---|---|---|---|"]
    for name, (passing, total, refused, wrong, crash) in counts.items():
        rows.append(f"| `{name}` | {passing} / {total} | {refused} | {wrong} | {crash} |")
    ops = sorted({c.op_type for c in cases if c.set == "node" and outcomes[c.name].status == "pass"})
    every = {c.op_type for c in cases if c.set == "node"}
    return "\n".join(rows) + (f"\n\nNode operator types with a passing case: {len(ops)} of {len(every)} — "
                              + ", ".join(ops) + ".")


def main() -> None:
    started = time.perf_counter()
    cases = suite.all_cases()
    outcomes = suite.evaluate(cases)
    text = README.read_text()
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    README.write_text(f"{head}{BEGIN}\n{table(cases, outcomes)}\n{END}{tail}")
    print(table(cases, outcomes))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
