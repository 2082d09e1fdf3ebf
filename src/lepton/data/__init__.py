"""The data layer: read sources, infer schemas, profile, clean with recipes, split, version."""

from lepton.data.profile import ColumnProfile, Profile, profile_frame
from lepton.data.read import SourceData
from lepton.data.recipe import Recipe, StepReport
from lepton.data.schema import ColumnSchema, Schema, infer_schema
from lepton.data.sources import read_source
from lepton.data.splits import split_frame, split_indices

__all__ = [
    "ColumnProfile",
    "ColumnSchema",
    "Profile",
    "Recipe",
    "Schema",
    "SourceData",
    "StepReport",
    "infer_schema",
    "profile_frame",
    "read_source",
    "split_frame",
    "split_indices",
]
