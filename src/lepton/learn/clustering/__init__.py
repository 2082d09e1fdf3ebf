"""Clustering: k-means, HDBSCAN and Gaussian mixtures on the tabular feature encoding."""
