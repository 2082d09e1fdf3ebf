"""Prometheus metrics for the server, on a registry of its own (one per app)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class ServerMetrics:
    """Request count, latency, batch size, queue depth and errors per deployment and version."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ["deployment", "version"]
        self.requests = Counter(
            "lepton_requests",
            "Prediction requests by outcome status code",
            [*labels, "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "lepton_request_latency_seconds",
            "End-to-end prediction latency inside the server",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "lepton_batch_size_rows",
            "Rows per model call after adaptive batching",
            labels,
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.model_seconds = Histogram(
            "lepton_model_call_seconds",
            "Time inside the model per batched call",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "lepton_queue_depth_rows",
            "Rows waiting for a model call",
            labels,
            registry=self.registry,
        )
        self.errors = Counter(
            "lepton_errors",
            "Requests answered with an error, by status code",
            ["deployment", "status"],
            registry=self.registry,
        )
        self.shadow_dropped = Counter(
            "lepton_shadow_dropped",
            "Shadow copies not sent because the shadow version was overloaded",
            labels,
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
