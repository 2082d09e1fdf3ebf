from __future__ import annotations

from pathlib import Path

import pytest

from lepton.config import load_settings
from lepton.errors import ConfigError, InvalidNameError
from lepton.names import parse_ref, validate_name


def test_defaults_live_in_home(lepton_home: Path) -> None:
    settings = load_settings()
    assert settings.home == lepton_home.resolve()
    assert settings.store_url == f"sqlite:///{lepton_home.resolve() / 'lepton.db'}"
    assert settings.artifacts_url == str(lepton_home.resolve() / "artifacts")
    assert settings.sources["home"] == "env LEPTON_HOME"
    assert "store_url" not in settings.sources


def test_home_defaults_to_dot_lepton(tmp_path: Path) -> None:
    settings = load_settings({"HOME": str(tmp_path)})
    assert settings.home == Path.home().resolve() / ".lepton"


def test_toml_file_then_env_override(lepton_home: Path, tmp_path: Path) -> None:
    (tmp_path / "lepton.toml").write_text(
        '[lepton]\nstore_url = "postgresql://u@127.0.0.1/x"\nartifacts_url = "s3://b/p"\n'
    )
    settings = load_settings()
    assert settings.store_url == "postgresql://u@127.0.0.1/x"
    assert settings.artifacts_url == "s3://b/p"
    assert settings.config_file == tmp_path / "lepton.toml"
    env_first = load_settings(
        {"LEPTON_HOME": str(lepton_home), "LEPTON_ARTIFACTS_URL": "/elsewhere"}
    )
    assert env_first.artifacts_url == "/elsewhere"
    assert env_first.sources["artifacts_url"] == "env LEPTON_ARTIFACTS_URL"
    assert env_first.sources["store_url"].startswith("file ")


def test_bad_toml_is_a_config_error(lepton_home: Path, tmp_path: Path) -> None:
    (tmp_path / "lepton.toml").write_text("store_url = [unclosed")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings()


def test_unknown_setting_is_named(lepton_home: Path, tmp_path: Path) -> None:
    (tmp_path / "lepton.toml").write_text('[lepton]\nstore_ulr = "x"\n')
    with pytest.raises(ConfigError, match="store_ulr"):
        load_settings()


def test_explicit_config_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a file"):
        load_settings({"LEPTON_CONFIG": str(tmp_path / "missing.toml")})


@pytest.mark.parametrize("name", ["adult", "adult_2024", "a.b-c", "X1"])
def test_valid_names(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize("name", ["", "../etc", "a/b", "a\\b", "..", ".hidden", "a b", "x" * 129])
def test_unsafe_names_rejected(name: str) -> None:
    with pytest.raises(InvalidNameError):
        validate_name(name)


def test_parse_ref() -> None:
    assert parse_ref("adult") == ("adult", None)
    assert parse_ref("adult@3") == ("adult", "3")
    assert parse_ref("m@production") == ("m", "production")
    with pytest.raises(InvalidNameError, match="nothing after"):
        parse_ref("adult@")
    with pytest.raises(InvalidNameError):
        parse_ref("../adult@1")
