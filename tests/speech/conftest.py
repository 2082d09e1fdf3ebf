"""Spoken clips synthesised with Debian's espeak-ng, a speech project and a real server.

The clips are generated here (no recording ships with the tests): customer-call sentences
read by espeak-ng at 22.05 kHz, with their text as the transcript. One model ``calls`` is
scored once per session; each serving test makes a deployment of its own.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from lepton.data.catalog import DataCatalog
from lepton.learn.training import TrainOutcome, train_dataset
from tests.helpers.home import Deploy, HomeProject, api_keys, deployments, home_env, open_project
from tests.serve.conftest import Server, start_server

SENTENCES = [
    "please call me back tomorrow morning",
    "my order number is missing from the invoice",
    "the delivery arrived two days late",
    "thank you for your help today",
    "I would like to cancel my subscription",
    "can you send the receipt to my email",
    "the new password does not work",
    "John Smith from Boston asked for a refund",
]


def speak(text: str, path: Path, *, speed: int = 150) -> Path:
    """``text`` read by espeak-ng into a WAV file (22.05 kHz mono, 16 bit)."""
    espeak = shutil.which("espeak-ng")
    assert espeak, "tests/speech need Debian's espeak-ng (apt-get install espeak-ng)"
    subprocess.run([espeak, "-s", str(speed), "-w", str(path), text], check=True)
    return path


def clip_folder(root: Path, sentences: list[str], *, transcripts: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(sentences):
        speak(text, root / f"clip{i:02d}.wav")
        if transcripts:
            (root / f"clip{i:02d}.txt").write_text(text + "\n")
    return root


@dataclass
class SpeechProject(HomeProject):
    outcome: TrainOutcome
    clips: Path


@pytest.fixture(scope="session")
def speechp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SpeechProject]:
    home = tmp_path_factory.mktemp("speech-home")
    env = home_env(home)
    project = open_project(env)
    clips = clip_folder(tmp_path_factory.mktemp("clips"), SENTENCES)
    catalog = DataCatalog(project)
    ref = catalog.add(clips, name="calls")[0].ref
    outcome = train_dataset(project, ref, time_limit=40, model_name="calls")
    # a text deployment to chain to: the pretrained entity recognizer, on the transcripts
    texts = pd.DataFrame({"text": SENTENCES * 3})
    texts_ref = catalog.add_frame(texts, name="transcripts")[0].ref
    train_dataset(project, texts_ref, task="ner", time_limit=20, model_name="entities")
    keys = api_keys(project, ("predict", "admin", "metrics"))
    yield SpeechProject(home, env, project, keys, pd.DataFrame(), outcome, clips)
    project.close()


@pytest.fixture(scope="session")
def speech_server(speechp: SpeechProject) -> Iterator[Server]:
    running = start_server(speechp.env)
    yield running
    running.stop()


@pytest.fixture
def deploy(speechp: SpeechProject, speech_server: Server) -> Iterator[Deploy]:
    with deployments(
        speechp.project, speech_server, speechp.keys["admin"], "calls@1", "speech"
    ) as make:
        yield make
