from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO_ROOT, SHARED_DATASETS, CliRunner

SAMPLE = REPO_ROOT / "examples" / "data" / "adult_sample.csv"


def test_init_config_add_list_show_versions(
    cli: CliRunner, lepton_home: Path, tmp_path: Path
) -> None:
    assert cli("init").code == 0
    config = cli("config")
    assert config.code == 0 and str(lepton_home.resolve()) in config.out
    added = cli("data", "add", str(SAMPLE), "--name", "adult_sample", "--target", "income")
    assert added.code == 0 and "adult_sample@1" in added.out and "4,000 rows" in added.out
    listed = cli("data", "list")
    assert "adult_sample" in listed.out and "4,000" in listed.out
    report = tmp_path / "report.html"
    shown = cli("data", "show", "adult_sample@1", "--html", str(report))
    assert shown.code == 0 and "Class balance of income" in shown.out
    html = report.read_text()
    assert html.count("data:image/png;base64,") >= 10 and "adult_sample@1" in html
    assert "1" in cli("data", "versions", "adult_sample").out


def test_clean_and_split_from_the_cli(cli: CliRunner, tmp_path: Path) -> None:
    cli("data", "add", str(SAMPLE), "--name", "adult", "--target", "income")
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(
        '[[steps]]\ntype = "dedupe"\n\n[[steps]]\ntype = "impute"\n'
        'columns = ["workclass", "occupation"]\nstrategy = "most_frequent"\n\n'
        '[[steps]]\ntype = "drop_columns"\ncolumns = ["fnlwgt"]\n'
    )
    cleaned = cli("data", "clean", "adult", "--recipe", str(recipe))
    assert cleaned.code == 0 and "adult@2" in cleaned.out
    versions = cli("data", "versions", "adult").out
    assert "dedupe, impute, drop_columns" in versions
    split = cli("data", "split", "adult@2", "--test-size", "0.25", "--seed", "3")
    assert split.code == 0 and "adult-train@1" in split.out and "adult-test@1" in split.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["data", "add", "{bad_csv}", "--name", "x"], "malformed or truncated"),
        (["data", "add", "{empty}", "--name", "x"], "empty"),
        (["data", "add", "{latin1}", "--name", "x"], "encoding"),
        (["data", "add", "{good}", "--name", "x", "--target", "incme"], "did you mean 'income'"),
        (["data", "add", "{good}", "--name", "../x"], "invalid dataset name"),
        (["data", "add", "{good}", "--name", "a/b"], "invalid dataset name"),
        (["data", "add", "{no_images}", "--name", "x", "--format", "images"], "no images"),
        (["data", "show", "missing"], "no dataset named 'missing'"),
        (["data", "clean", "x", "--recipe", "{good}"], "recipe files are .toml or .json"),
    ],
)
def test_bad_input_one_line_nonzero_exit_nothing_stored(
    cli: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    files = {
        "bad_csv": b"a,b\n1,2\n3,4,5\n",
        "empty": b"",
        "latin1": "a,b\ncaf\u00e9,1\n".encode("latin-1"),
        "good": b"income,b\n1,2\n",
    }
    paths = {}
    for key, data in files.items():
        paths[key] = tmp_path / f"{key}.csv"
        paths[key].write_bytes(data)
    (tmp_path / "no_images" / "cat").mkdir(parents=True)
    paths["no_images"] = tmp_path / "no_images"
    result = cli(*[a.format(**{k: str(v) for k, v in paths.items()}) for a in args])
    assert result.code != 0
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert "x " not in cli("data", "list").out


@pytest.mark.skipif(
    not (SHARED_DATASETS / "adult.train.parquet").exists(), reason="needs ../shared/datasets"
)
def test_adult_profile_matches_pandas(cli: CliRunner) -> None:
    path = SHARED_DATASETS / "adult.train.parquet"
    assert cli("data", "add", str(path), "--name", "adult", "--target", "income").code == 0
    shown = cli("data", "show", "adult")
    assert shown.code == 0 and "32,561 rows" in shown.out
    expected = pd.read_parquet(path).isna().sum()
    rows = {
        line.split("│")[1].strip(): line for line in shown.out.splitlines() if line.count("│") > 3
    }
    for column, missing in expected.items():
        cells = [c.strip() for c in rows[str(column)].split("│")]
        assert cells[3] == f"{missing:,}", column
    import lepton

    version = lepton.Dataset.get("adult")
    assert version.profile.n_rows == 32_561
    assert {c.name: c.n_missing for c in version.profile.columns} == expected.to_dict()
