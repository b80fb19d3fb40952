"""Write the pinned tables of tests/test_regression.py (run only to re-pin, and say why)."""

from __future__ import annotations

from tests.test_regression import CASES, DATA, produce

if __name__ == "__main__":
    DATA.mkdir(parents=True, exist_ok=True)
    for name in CASES:
        ts, spells = produce(name)
        ts.to_parquet(DATA / f"{name}.timeseries.parquet", index=False)
        spells.to_parquet(DATA / f"{name}.spells.parquet", index=False)
        print(name, len(ts), len(spells))
