"""How the trained models keep their weights in JSON: 16-bit integers,
little-endian, compressed, then base64."""

from __future__ import annotations

import base64
import sys
import zlib
from array import array


class ModelFileError(Exception):
    """The model file is missing or not a model this code can read."""


def pack_weights(weights: array) -> str:
    if sys.byteorder != "little":
        weights = array("h", weights)
        weights.byteswap()
    return base64.b64encode(zlib.compress(weights.tobytes(), 9)).decode("ascii")


def unpack_weights(packed: str) -> array:
    weights = array("h")
    try:
        weights.frombytes(zlib.decompress(base64.b64decode(packed)))
    except (ValueError, zlib.error) as error:
        raise ModelFileError(f"unreadable weights: {error}") from None
    if sys.byteorder != "little":
        weights.byteswap()
    return weights
