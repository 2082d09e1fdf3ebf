"""Anomaly detection: unsupervised detectors on the shared tabular encoding, chosen by stability."""
