"""Views keep their SoA (and so its memory) alive; the SoA is freed once the last view is gone."""

import gc
import weakref

import numpy as np

import sofie_soa as ss


def test_views_keep_the_soa_alive_and_release_it():
    soa = ss.SoA.allocate(ss.Layout([ss.column("x", "float32"), ss.column("y", "float32")]), 100)
    alive = weakref.ref(soa)
    column, array = soa["x"], np.from_dlpack(soa.tensor(["x", "y"]))
    del soa
    gc.collect()
    assert alive() is not None
    column[:] = 1.0
    assert (array[:, 0] == 1.0).all()
    del column, array
    gc.collect()
    assert alive() is None


def test_wrapped_memory_outlives_its_python_name():
    layout = ss.Layout([ss.column("x", "float64")])
    soa = ss.SoA.wrap(np.full(layout.byte_size(16) // 8, 2.0), layout, 16)   # the array has no other reference
    gc.collect()
    assert (soa["x"] == 2.0).all()
