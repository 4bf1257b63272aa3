import pytest

import sofie_soa as ss


@pytest.fixture
def example_layout():
    """The worked example of the CMS SoA reference: 896 bytes for n = 10."""
    return ss.Layout([ss.column("x", "float32"), ss.column("y", "float64"), ss.column("z", "int32"),
                      ss.scalar("s", "float32"), ss.eigen_column("v", "float32", (3, 1))])
