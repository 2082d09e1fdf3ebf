"""Lepton: from a proof of concept to a monitored production AI service."""

from lepton.errors import LeptonError

__version__ = "0.1.0"
__all__ = ["LeptonError", "__version__"]
