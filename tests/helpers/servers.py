"""Real servers on loopback that several test packages start: a free port, moto's S3.

No real S3 is reachable from this machine: ``s3://`` is tested against moto's
standalone server process, on 127.0.0.1, as docs/testing says.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MOTO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's standalone S3 server as its own process on loopback; yields its endpoint."""
    port = free_port()
    server = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or "moto_server"
    proc = subprocess.Popen(
        [server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("moto_server did not start within 30 s")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def new_bucket(endpoint: str) -> str:
    """A fresh bucket on the moto server at ``endpoint``; its name."""
    import boto3

    bucket = f"lepton-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=endpoint, **_boto_credentials()).create_bucket(Bucket=bucket)
    return bucket


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": MOTO_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": MOTO_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": MOTO_CREDENTIALS["AWS_DEFAULT_REGION"],
    }
