"""The ONNX conformance suite on cpu_serial (issue 14): the onnx package's node cases and its shipped
pytorch-converted, pytorch-operator, simple and light models (suite.py). No case may crash; no case may give a
wrong result unless exclude.txt says why; the passing counts may not fall below the README's table, which
report.py regenerates from a run (`python3 tests/conformance/report.py`)."""

import re
from pathlib import Path

import pytest

import suite

HERE = Path(__file__).parent
README = HERE.parents[1] / "README.md"


def excluded() -> dict[str, str]:
    lines = [line.split(None, 1) for line in (HERE / "exclude.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    return {parts[0]: parts[1] if len(parts) > 1 else "" for parts in lines}


@pytest.fixture(scope="module")
def run():
    cases = suite.all_cases()
    return cases, suite.evaluate(cases)


def test_no_case_crashes(run):
    cases, outcomes = run
    crashes = [f"{c.name}: {outcomes[c.name].detail[:300]}" for c in cases if outcomes[c.name].status == "crash"]
    assert not crashes, "\n".join(crashes)


def test_no_case_is_wrong_unless_excluded_with_a_reason(run):
    cases, outcomes = run
    skip = excluded()
    assert all(skip.values()), "every line of exclude.txt says why"
    wrong = [f"{c.name}: {outcomes[c.name].detail[:300]}" for c in cases
             if outcomes[c.name].status == "wrong" and c.name not in skip]
    assert not wrong, "\n".join(wrong)
    fixed = [name for name in skip if name in outcomes and outcomes[name].status == "pass"]
    assert not fixed, f"these cases pass now, remove them from exclude.txt: {fixed}"


def test_passing_counts_do_not_fall_below_the_readme_table(run):
    cases, outcomes = run
    table = dict(re.findall(r"^\| `?([\w-]+)`? \| (\d+) / \d+ \|", README.read_text(), re.M))
    assert table, "the README has no conformance table (python3 tests/conformance/report.py)"
    counts = suite.summary(cases, outcomes)
    for name, passing in table.items():
        assert counts[name][0] >= int(passing), f"{name}: {counts[name][0]} pass, the README says {passing}"
