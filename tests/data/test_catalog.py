from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lepton.data.catalog import DataCatalog
from lepton.data.recipe import Recipe
from lepton.errors import DataError, InvalidNameError, LeptonError
from lepton.store.project import Project


@pytest.fixture()
def catalog(lepton_home: Path) -> DataCatalog:
    return DataCatalog(Project.open())


def _nothing_stored(catalog: DataCatalog) -> bool:
    staging = Path(catalog.project.artifacts.root) / ".staging"
    return (
        catalog.list() == []
        and catalog.project.artifacts.list() == []
        and (not staging.exists() or not any(staging.iterdir()))
    )


def test_add_versions_by_content(catalog: DataCatalog, table: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    first, created = catalog.add(path, name="customers", target="label")
    again, created_again = catalog.add(path, name="customers", target="label")
    assert created and not created_again and first.version == again.version == 1
    assert first.n_rows == 200 and first.target == "label"
    assert first.schema.column("member").kind == "boolean"
    frame = first.to_pandas()
    assert frame.shape == (200, 8)
    table.iloc[:50].to_csv(path, index=False)
    second, _ = catalog.add(path, name="customers", target="label")
    assert second.version == 2 and catalog.get("customers").version == 2
    assert catalog.get("customers@1").n_rows == 200


def test_clean_creates_child_version_with_fitted_recipe(
    catalog: DataCatalog, table: pd.DataFrame
) -> None:
    catalog.add_frame(table, name="customers", target="label")
    recipe = Recipe.from_list(
        [
            {"step": "drop_columns", "columns": ["row_id", "constant"]},
            {"step": "impute", "columns": ["age"], "strategy": "median"},
        ]
    )
    child, created = catalog.clean("customers", recipe)
    assert created and child.version == 2 and child.parent_version == 1
    assert child.recipe is not None and "values" in child.recipe[1]
    assert child.to_pandas()["age"].notna().all() and child.n_cols == 6
    with pytest.raises(DataError, match="dropped the target"):
        catalog.clean(
            "customers@1", Recipe.from_list([{"step": "drop_columns", "columns": ["label"]}])
        )


def test_split_creates_train_and_test_datasets(catalog: DataCatalog, table: pd.DataFrame) -> None:
    catalog.add_frame(table, name="customers", target="label")
    train, test = catalog.split("customers", method="stratified", test_size=0.25, seed=1)
    assert (train.name, test.name) == ("customers-train", "customers-test")
    assert train.n_rows + test.n_rows == 200 and test.target == "label"
    again = catalog.split("customers", method="stratified", test_size=0.25, seed=1)
    assert again[1].content_hash == test.content_hash and again[1].version == test.version


def test_image_folder_is_copied_into_the_version(catalog: DataCatalog, image_folder: Path) -> None:
    version, _ = catalog.add(image_folder, name="pets", target="label")
    frame = version.to_pandas()
    assert len(frame) == 6 and all(Path(p).exists() for p in frame["image"])
    assert all(str(catalog.project.artifacts.root) in p for p in frame["image"])


@pytest.mark.parametrize(
    ("content", "name", "target", "error"),
    [
        (b"a,b\n1,2\n3,4,5\n", "ok", None, DataError),
        (b"", "ok", None, DataError),
        ("a,b\nz\u00e9,1\n".encode("latin-1"), "ok", None, DataError),
        (b"a,b\n1,2\n", "ok", "nope", DataError),
        (b"a,b\n1,2\n", "../escape", None, InvalidNameError),
        (b"a,b\n1,2\n", "a/b", None, InvalidNameError),
    ],
)
def test_bad_input_leaves_nothing_behind(
    catalog: DataCatalog,
    tmp_path: Path,
    content: bytes,
    name: str,
    target: str | None,
    error: type[LeptonError],
) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with pytest.raises(error):
        catalog.add(path, name=name, target=target)
    assert _nothing_stored(catalog)


def test_bad_image_folders_leave_nothing_behind(
    catalog: DataCatalog, tmp_path: Path, image_folder: Path
) -> None:
    (tmp_path / "none" / "cat").mkdir(parents=True)
    with pytest.raises(DataError, match="no images"):
        catalog.add(tmp_path / "none", name="pets", format="images")
    (image_folder / "dog" / "bad.png").write_bytes(b"garbage")
    with pytest.raises(DataError, match="corrupt"):
        catalog.add(image_folder, name="pets")
    assert _nothing_stored(catalog)


def test_failed_metadata_write_removes_the_fresh_artifact(
    catalog: DataCatalog, table: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(catalog.project.metadata, "add_dataset_version", boom)
    with pytest.raises(RuntimeError):
        catalog.add_frame(table, name="customers")
    assert catalog.project.artifacts.list() == []
