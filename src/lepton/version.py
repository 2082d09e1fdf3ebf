"""Lepton's version, in a leaf module so any layer can record it without importing the root."""

VERSION = "0.1.0"
