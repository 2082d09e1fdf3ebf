"""Inference serving: deployments, adaptive batching, traffic splitting, auth, metrics, log."""

from lepton.serve.client import Client
from lepton.serve.deployments import DeploymentSpec, deploy, promote, rollback

__all__ = ["Client", "DeploymentSpec", "deploy", "promote", "rollback"]
