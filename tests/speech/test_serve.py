"""Speech on a real server: uploads in every form, 4xx/413 naming the field, chaining, drift."""

from __future__ import annotations

import base64
import io
import math
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from lepton.learn.speech.wer import corpus_wer
from lepton.monitor.summary import summarize
from tests.helpers.home import Deploy
from tests.serve.conftest import Server
from tests.speech.conftest import SENTENCES, SpeechProject, speak


def _url(name: str) -> str:
    return f"/v1/deployments/{name}/predict"


def wav_bytes(samples: np.ndarray, rate: int = 16_000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as fh:
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(rate)
        fh.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def _wait_for_log(speechp: SpeechProject, name: str, rows: int) -> None:
    deadline = time.monotonic() + 30
    while len(speechp.project.predictions.predictions(name)) < rows and time.monotonic() < deadline:
        time.sleep(0.2)


def test_multipart_and_base64_uploads_answer_text_segments_and_timings(
    speechp: SpeechProject, speech_server: Server, deploy: Deploy, tmp_path: Path
) -> None:
    name = deploy()
    client = speech_server.client(speechp.keys["predict"])
    clip = speak("please send the invoice to my email address", tmp_path / "a.wav").read_bytes()
    parts = client.post(_url(name), files=[("file", ("a.wav", clip, "audio/wav"))])
    assert parts.status_code == 200, parts.text
    answer = parts.json()["predictions"][0]
    assert corpus_wer(["please send the invoice to my email address"], [answer["text"]]) <= 0.25
    assert answer["segments"] and answer["segments"][0]["start"] >= 0.0
    assert answer["segments"][-1]["end"] <= answer["duration_s"] + 0.5
    assert 2.0 < answer["duration_s"] < 5.0 and answer["words_per_second"] > 1.0
    encoded = base64.b64encode(clip).decode()
    both = client.post(_url(name), json={"audio": [encoded, "data:audio/wav;base64," + encoded]})
    assert both.status_code == 200, both.text
    assert [p["text"] for p in both.json()["predictions"]] == [answer["text"]] * 2


def test_flac_and_mp3_are_decoded_and_resampled_on_the_server(
    speechp: SpeechProject, speech_server: Server, deploy: Deploy, tmp_path: Path
) -> None:
    import av

    name = deploy()
    client = speech_server.client(speechp.keys["predict"])
    source = speak("thank you for calling", tmp_path / "s.wav")
    for codec, suffix in (("flac", "flac"), ("libmp3lame", "mp3")):
        target = tmp_path / f"s.{suffix}"
        with av.open(str(source)) as src, av.open(str(target), "w") as dst:
            stream = dst.add_stream(codec, rate=44_100)
            resampler = av.AudioResampler(format=stream.format.name, layout="stereo", rate=44_100)
            stream.layout = "stereo"
            for frame in src.decode(audio=0):
                for out in resampler.resample(frame):
                    dst.mux(stream.encode(out))
            dst.mux(stream.encode(None))
        answer = client.post(_url(name), files=[("file", (target.name, target.read_bytes()))])
        assert answer.status_code == 200, (suffix, answer.text)
        assert corpus_wer(["thank you for calling"], [answer.json()["predictions"][0]["text"]]) == 0


@pytest.mark.parametrize(
    ("audio", "status", "field", "words"),
    [
        (b"RIFF not really a wave file", 422, "file", "not readable audio"),
        (wav_bytes(np.zeros(32_000)), 422, "file", "silent"),
        (wav_bytes(np.zeros(800)), 422, "file", "at least"),
        (b"", 422, "file", "empty"),
        (
            wav_bytes(0.3 * np.sin(np.arange(16_000 * 125) * 2 * math.pi * 440 / 16_000)),
            413,
            "file",
            "longer than 120 s",
        ),
        (b"\0" * (25 * 1024 * 1024), 413, "file", "bytes; the limit"),
    ],
)
def test_bad_audio_is_a_4xx_naming_the_field(
    speechp: SpeechProject,
    speech_server: Server,
    deploy: Deploy,
    audio: bytes,
    status: int,
    field: str,
    words: str,
) -> None:
    name = deploy()
    client = speech_server.client(speechp.keys["predict"])
    answer = client.post(_url(name), files=[("file", ("x.wav", audio, "audio/wav"))])
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["field"] == field and words in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"audio": ["%%%"]}, "audio[0]"), ({"audio": [3]}, "audio[0]"), ({"clips": []}, "audio")],
)
def test_bad_json_bodies_name_the_field(
    speechp: SpeechProject, speech_server: Server, deploy: Deploy, body: dict, field: str
) -> None:
    name = deploy()
    answer = speech_server.client(speechp.keys["predict"]).post(_url(name), json=body)
    assert answer.status_code == 422 or answer.status_code == 400, answer.text
    assert answer.json()["error"]["field"] == field


def test_a_chained_text_deployment_answers_on_the_transcripts_in_one_call(
    speechp: SpeechProject, speech_server: Server, deploy: Deploy, tmp_path: Path
) -> None:
    name, ner = deploy(), deploy("entities@1")
    client = speech_server.client(speechp.keys["predict"])
    clip = speak("John Smith from Boston asked for a refund", tmp_path / "c.wav").read_bytes()
    answer = client.post(f"{_url(name)}?then={ner}", files=[("file", ("c.wav", clip))])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    text = body["predictions"][0]["text"]
    chained = body["then"]
    assert chained["deployment"] == ner and chained["model"] == "entities"
    found = {(e["text"], e["label"]) for e in chained["predictions"][0]["entities"]}
    assert ("John Smith", "PERSON") in found and ("Boston", "GPE") in found
    for entity in chained["predictions"][0]["entities"]:
        assert text[entity["start"] : entity["end"]] == entity["text"]
    _wait_for_log(speechp, ner, 1)
    logged = speechp.project.predictions.predictions(ner)
    assert logged["request_id"].tolist() == [body["request_id"]]
    refused = client.post(f"{_url(ner)}?then={name}", json={"texts": ["hello"]})
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "then"
    unknown = client.post(f"{_url(name)}?then=nowhere", files=[("file", ("c.wav", clip))])
    assert unknown.status_code == 404, unknown.text


def test_monitor_scores_fed_back_transcripts_and_flags_loudness_drift(
    speechp: SpeechProject, speech_server: Server, deploy: Deploy, tmp_path: Path
) -> None:
    name = deploy()
    client = speech_server.client(speechp.keys["predict"])
    clips = [speak(s, tmp_path / f"m{i}.wav").read_bytes() for i, s in enumerate(SENTENCES)]
    answer = client.post(_url(name), files=[("file", (f"{i}.wav", c)) for i, c in enumerate(clips)])
    assert answer.status_code == 200, answer.text
    rid = answer.json()["request_id"]
    # the first four get their true transcript; the last four a wrong one
    feedback = [
        {"request_id": rid, "row": i, "label": s if i < 4 else "completely different words here"}
        for i, s in enumerate(SENTENCES)
    ]
    _wait_for_log(speechp, name, len(SENTENCES))
    sent = client.post(f"/v1/deployments/{name}/feedback", json={"feedback": feedback})
    assert sent.status_code == 200 and sent.json()["accepted"] == len(SENTENCES), sent.text
    summary, _ = summarize(speechp.project, name, window="1h")
    wer = summary.performance[summary.performance["metric"] == "wer"]
    assert len(wer) == 1 and 0.3 < wer.iloc[0]["live"] < 0.8
    assert summary.drift is not None
    by_name = {f.name: f for f in summary.drift.features}
    assert set(by_name) == {"duration_s", "loudness_dbfs", "words_per_second"}
    assert not by_name["duration_s"].drifted
    quiet = deploy()
    whispers = []
    for i, s in enumerate(SENTENCES * 3):
        path = speak(s, tmp_path / f"q{i}.wav")
        with wave.open(str(path)) as fh:
            pcm = np.frombuffer(fh.readframes(fh.getnframes()), dtype="<i2") / 32768.0
            rate = fh.getframerate()
        whispers.append(wav_bytes(pcm * 0.05, rate))  # 26 dB quieter: a new microphone gain
    files = [("file", (f"{i}.wav", c)) for i, c in enumerate(whispers[:16])]
    assert client.post(_url(quiet), files=files).status_code == 200
    _wait_for_log(speechp, quiet, 16)
    summary, _ = summarize(speechp.project, quiet, window="1h")
    assert summary.drift is not None
    assert {f.name: f for f in summary.drift.features}["loudness_dbfs"].drifted


def test_lepton_predict_remote_uploads_a_folder_of_clips(
    speechp: SpeechProject, speech_server: Server, deploy: Deploy, tmp_path: Path
) -> None:
    import pandas as pd

    from tests.speech.conftest import clip_folder

    name = deploy()
    folder = clip_folder(tmp_path / "remote", SENTENCES[:3], transcripts=False)
    out = tmp_path / "remote.csv"
    done = speechp.lepton(
        "predict",
        name,
        str(folder),
        "-o",
        str(out),
        "--remote",
        speech_server.url,
        "--key",
        speechp.keys["predict"],
    )
    assert done.returncode == 0, done.stderr
    written = pd.read_csv(out)
    assert written["audio"].tolist() == [str(folder / f"clip0{i}.wav") for i in range(3)]
    assert corpus_wer(SENTENCES[:3], written["transcript"].tolist()) <= 0.2
    assert (written["words_per_second"] > 1.0).all()
