"""Recommendation: user-item interactions in, top-k items per user and similar items out."""

from lepton.learn.recommend.families import family_names, make_family
from lepton.learn.recommend.interactions import Interactions, prepare
from lepton.learn.recommend.metrics import ranking_report

__all__ = ["Interactions", "family_names", "make_family", "prepare", "ranking_report"]
