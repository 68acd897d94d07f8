"""Loads python_ref.json (recorded from Gymnasium 1.4 by gen_python_ref.py) for the tests."""

import functools
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


@functools.lru_cache(maxsize=None)
def load():
    with open(os.path.join(HERE, "python_ref.json")) as f:
        return json.load(f)


def hexes(array):
    """float.hex of every element: exact comparison of float32/float64 arrays with the record."""
    return [float(x).hex() for x in np.asarray(array).ravel()]


def make_kwargs(kwargs):
    return dict(kwargs)
