"""The one image preprocessing path, shared by training, evaluation, export and serving.

Why one module: a model only sees pixels the way it saw them in training if decode,
mode conversion, resize and normalisation are literally the same code. The recipe is
recorded in the model package's manifest (``preprocessing``) so an ONNX consumer can
reproduce it: decode → ``convert(mode)`` → bilinear resize to ``size`` (skipped when
already that size) → uint8 HWC; normalisation ``(x / 255 - mean) / std`` happens
inside the model (and inside the exported ONNX graph).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lepton.errors import DataError

# 16/32-bit and float images: converting them to 8 bits would silently clip values
UNCONVERTIBLE_MODES = frozenset({"I", "F", "I;16", "I;16B", "I;16L", "I;16N"})
GRAY_MODES = frozenset({"1", "L", "LA", "La"})
MAX_SIDE = 64  # images are trained from scratch on CPU: larger inputs cost too much
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding

U8 = NDArray[np.uint8]


class ImageError(DataError):
    """An image cannot be decoded or converted; ``field`` names where it came from."""


class ImageTooLarge(ImageError):
    """More pixels than any model here needs: refused before decoding."""

    http_status = 413


@dataclass(frozen=True)
class Preprocessing:
    """Exactly how pixels reach the network; stored in the package manifest."""

    size: tuple[int, int]  # (height, width)
    mode: str  # "L" or "RGB"
    mean: tuple[float, ...]  # per channel, on the 0-1 scale
    std: tuple[float, ...]
    resample: str = "bilinear"

    @property
    def channels(self) -> int:
        return 1 if self.mode == "L" else 3

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["size"] = list(self.size)
        out["mean"], out["std"] = list(self.mean), list(self.std)
        out["layout"] = "decode, convert(mode), resize(size, bilinear), uint8 HWC"
        out["normalise"] = "(pixel / 255 - mean) / std per channel, inside the model"
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocessing:
        return cls(
            (int(data["size"][0]), int(data["size"][1])),
            str(data["mode"]),
            tuple(float(v) for v in data["mean"]),
            tuple(float(v) for v in data["std"]),
            str(data.get("resample", "bilinear")),
        )


def choose_geometry(sizes: Sequence[tuple[int, int]], modes: Sequence[str]) -> tuple[int, int, str]:
    """Input size and mode from the training images: the median size, capped at ``MAX_SIDE``."""
    heights = np.asarray([h for h, _ in sizes], dtype=np.float64)
    widths = np.asarray([w for _, w in sizes], dtype=np.float64)
    h, w = float(np.median(heights)), float(np.median(widths))
    scale = min(1.0, MAX_SIDE / max(h, w))
    height, width = max(8, round(h * scale)), max(8, round(w * scale))
    mode = "L" if all(m in GRAY_MODES for m in modes) else "RGB"
    return height, width, mode


def convert(image: Any, size: tuple[int, int], mode: str, *, field: str) -> U8:
    """A decoded Pillow image → uint8 (H, W, C) in ``mode`` at ``size``; the shared step."""
    from PIL import Image

    if image.mode in UNCONVERTIBLE_MODES:
        raise ImageError(
            f"image mode {image.mode} (16/32-bit) cannot be converted to {mode} without "
            "losing values; send 8-bit grayscale or RGB",
            field=field,
        )
    if image.mode != mode:
        image = image.convert(mode)
    height, width = size
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.BILINEAR)
    array = np.asarray(image, dtype=np.uint8)
    return array[:, :, None] if array.ndim == 2 else array


def decode(data: bytes | Path, *, field: str) -> Any:
    """Decode image bytes (or a file) fully with Pillow; one clear ``ImageError`` otherwise."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
        if image.width * image.height > MAX_PIXELS:
            raise ImageTooLarge(
                f"image is {image.width}×{image.height} pixels; the limit is {MAX_PIXELS:,}",
                field=field,
            )
        image.load()
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        text = str(exc).strip().splitlines()
        raise ImageError(
            f"not a readable image ({text[0] if text else type(exc).__name__})", field=field
        ) from None
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(str(exc), field=field) from None
    return image


def load_paths(paths: Sequence[str], size: tuple[int, int], mode: str) -> U8:
    """Read, convert and resize image files into one uint8 (N, H, W, C) array (2 threads)."""
    channels = 1 if mode == "L" else 3
    out = np.empty((len(paths), size[0], size[1], channels), dtype=np.uint8)

    def one(i: int) -> None:
        with decode(Path(paths[i]), field=str(paths[i])) as image:
            out[i] = convert(image, size, mode, field=str(paths[i]))

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(one, range(len(paths)), chunksize=512))
    return out


def channel_stats(images: U8) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std on the 0-1 scale (std floored so nothing divides by 0)."""
    sample = images[:: max(1, len(images) // 20_000)].astype(np.float32) / 255.0
    mean = sample.mean(axis=(0, 1, 2))
    std = np.maximum(sample.std(axis=(0, 1, 2)), 1e-3)
    return tuple(float(v) for v in mean), tuple(float(v) for v in std)


def pixel_stats(image: U8) -> dict[str, float]:
    """Cheap per-image numbers for the prediction log and drift: brightness, contrast, channels."""
    values = image.astype(np.float32)
    out = {"brightness": float(values.mean()), "contrast": float(values.std())}
    if image.shape[2] == 3:
        for name, channel in zip("rgb", range(3), strict=True):
            out[f"mean_{name}"] = float(values[:, :, channel].mean())
    return out
