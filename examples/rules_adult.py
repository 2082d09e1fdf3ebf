"""Association rules on real data from a clean checkout: the Adult census as transactions.

Each person in ``examples/data/adult_sample.csv`` (4,000 rows of UCI Adult, CC BY 4.0)
becomes a basket of ``attribute=value`` items, as R's arules does with ``Adult``; Lepton
mines the rules (support chosen automatically), registers them, prints the top ones,
and answers "given these items, what else?" like the server's predict route does.

    PYTHONPATH=src .venv/bin/python examples/rules_adult.py [--home DIR] [--time-limit 20]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console

HERE = Path(__file__).resolve().parent


def run_example(home: Path, time_limit: float = 20.0) -> dict[str, Any]:
    import os

    os.environ["LEPTON_HOME"] = str(home)
    import lepton
    from lepton.learn.rules.adult import adult_transactions

    people = pd.read_csv(HERE / "data" / "adult_sample.csv")
    baskets = adult_transactions(people)
    model = lepton.fit(
        baskets,
        task="rules",
        name="adult-rules",
        time_limit=time_limit,
        transaction_column="transaction",
        item_column="item",
        min_confidence=0.5,
    )
    trained: Any = model.automl.model_
    query = ["education=Doctorate", "sex=Male"]
    return {
        "version": model.version.version,
        "metrics": model.version.metrics,
        "n_rules": len(trained.rules),
        "table": trained.summary_table(10),
        "query": query,
        "suggestions": trained.recommend(query, 5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--time-limit", type=float, default=20.0)
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="lepton-rules-") as tmp:
        result = run_example(args.home or Path(tmp), args.time_limit)
        console.print(result["table"])
        console.print(f"registered adult-rules@{result['version']}: {result['metrics']}")
        console.print(f"given {result['query']}:")
        for s in result["suggestions"]:
            rule = s["rule"]
            console.print(
                f"  {s['item']:<40} confidence {s['score']:.2f}  lift {s['lift']:.2f}  "
                f"(rule {{{', '.join(rule['antecedent'])}}} → {{{', '.join(rule['consequent'])}}})"
            )


if __name__ == "__main__":
    main()
