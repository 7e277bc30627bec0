"""Figures the benchmarks return: a value printed next to its baseline measured in the same run.

Every figure carries its ``target``: a ratio (value / baseline) it must reach (``higher`` is better) or
stay under (``higher=False``: latencies). ``absolute`` is the issue's absolute target, shown beside it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    target: float | None = None  # the ratio value/baseline must reach (or stay under)
    higher: bool = True
    absolute: str = ""  # the absolute target, for the reader
    absolute_ok: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline  # type: ignore[operator]

    def ok(self, slack: float = 1.0) -> bool | None:
        """Does the ratio meet its target? ``slack=0.5``: half the target (the quick mode's bar)."""
        ratio = self.ratio
        if self.target is None or ratio is None:
            return None
        if self.higher:
            return ratio >= self.target * slack
        return ratio <= self.target / slack


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def print_table(figures: list[Figure]) -> None:
    header = ("figure", "value", "baseline", "ratio", "target", "absolute target", "status")
    rows = []
    for f in figures:
        ok = f.ok()
        status = "-" if ok is None else ("OK" if ok else "BELOW")
        if f.absolute_ok is False and ok:
            status = "OK (abs. below)"
        target = "-" if f.target is None else ("≥ " if f.higher else "≤ ") + fmt(f.target)
        baseline = fmt(f.baseline, f.unit) + (f" ({f.baseline_label})" if f.baseline_label else "")
        rows.append((f.name, fmt(f.value, f.unit), baseline, fmt(f.ratio), target, f.absolute, status))
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))
    for f in figures:
        if f.note:
            print(f"  {f.name}: {f.note}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
