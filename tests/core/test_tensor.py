"""Logical [n, F] tensors over SoA members: features, DLPack export rules, and zero-copy proofs."""

import numpy as np
import pytest

import sofie_soa as ss


@pytest.fixture
def soa():
    layout = ss.Layout([ss.column("pt", "float32"), ss.column("eta", "float32"), ss.column("nHits", "int32"),
                        ss.column("phi", "float32"), ss.scalar("bField", "float32"),
                        ss.eigen_column("state", "float32", (5, 1))])
    return ss.SoA.allocate(layout, 7)


def test_features_carry_address_dtype_and_stride(soa):
    t = soa.tensor(["pt", "nHits", "state[2]", "bField"])
    offsets = soa.layout.offsets(7)
    assert t.shape == (7, 4)
    assert t.features == [
        ("pt", "float32", soa.address + offsets["pt"], 1),
        ("nHits", "int32", soa.address + offsets["nHits"], 1),
        ("state[2]", "float32", soa.address + offsets["state"] + 2 * 128, 1),
        ("bField", "float32", soa.address + offsets["bField"], 0),
    ]


def test_eigen_column_expands_to_its_coefficients(soa):
    t = soa.tensor(["state"])
    assert [f[0] for f in t.features] == [f"state[{k}]" for k in range(5)]


def test_adjacent_columns_export_with_cms_strides(soa):
    """CMS TensorCollection: k adjacent columns -> sizes [N, k], strides [1, P] (P = padded pitch)."""
    t = soa.tensor(["pt", "eta"])
    assert t.dlpack_error is None
    array = np.from_dlpack(t)
    assert array.shape == (7, 2) and array.strides == (4, 128)
    assert array.ctypes.data == soa.address
    array[:, 1] = 4.0                         # write through the DLPack array ...
    assert (soa["eta"] == 4.0).all()          # ... read through the SoA
    soa["pt"][3] = 9.0                        # and the other way round
    assert array[3, 0] == 9.0


def test_eigen_vector_exports_as_n_by_r(soa):
    array = np.from_dlpack(soa.tensor(["state"]))
    assert array.shape == (7, 5) and array.strides == (4, 128)


@pytest.mark.parametrize("features, reason", [
    (["pt", "nHits"], "features 'pt' (float32) and 'nHits' (int32) differ in dtype"),
    (["pt", "bField"], "feature 'bField' is a broadcast scalar beside columns"),
    (["pt", "eta", "phi"], "features are not evenly spaced in memory ('eta' to 'phi' is 256 bytes)"),
])
def test_tensors_that_are_not_one_strided_array_refuse_dlpack_and_say_why(soa, features, reason):
    t = soa.tensor(features)
    assert t.dlpack_error == reason
    with pytest.raises(BufferError, match="cannot be exported as one DLPack array: " + reason.replace("(", r"\(")
                       .replace(")", r"\)")):
        np.from_dlpack(t)
    assert t.shape == (7, len(features))      # the view itself stays valid for inference


@pytest.mark.parametrize("features, message", [
    ([], "at least one feature"),
    (["pt", "pt"], "feature 'pt' is selected twice"),
    (["state[5]"], "'state[5]': Eigen column 'state' has shape (5, 1); select a coefficient as [k] with k < 5"),
    (["pt[0]"], "'pt[0]': only Eigen columns take a coefficient index"),
])
def test_bad_feature_selections(soa, features, message):
    with pytest.raises(ValueError) as err:
        soa.tensor(features)
    assert message in str(err.value)


def test_unknown_feature_is_a_key_error(soa):
    with pytest.raises(KeyError, match="no member 'qoverpt'"):
        soa.tensor(["pt", "qoverpt"])
