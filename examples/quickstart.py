"""Quick start: a CMS-style SoA collection, zero-copy column views, and a DLPack hand-off to PyTorch."""

import numpy as np

import sofie_soa as ss


def main() -> None:
    layout = ss.Layout([ss.column("pt", "float32"), ss.column("eta", "float32"), ss.column("nHits", "int32"),
                        ss.scalar("nTracks", "int32"), ss.eigen_column("state", "float32", (5, 1))])
    n = 1000
    soa = ss.SoA.allocate(layout, n)
    print(f"layout: {layout}")
    print(f"n = {n}: {layout.byte_size(n)} bytes, offsets {layout.offsets(n)}")
    rng = np.random.default_rng(1)
    soa["pt"][:] = rng.exponential(2.0, n)
    soa["eta"][:] = rng.uniform(-2.5, 2.5, n)
    soa["nHits"][:] = rng.integers(3, 15, n)
    soa["nTracks"][()] = n
    features = soa.tensor(["pt", "eta"])                    # adjacent float32 columns: strides (1, P)
    try:
        import torch
    except ImportError:
        print("PyTorch not installed: skipping the DLPack hand-off")
        return
    t = torch.from_dlpack(features)
    print(f"torch view: shape {tuple(t.shape)}, strides {t.stride()}, same memory: {t.data_ptr() == soa.address}")
    before = soa["pt"].copy()
    t[:, 0] *= 2                                            # write through torch, read through the SoA
    print(f"pt doubled through torch, seen in the SoA: {np.array_equal(soa['pt'], 2 * before)}")
    print(f"mixed dtypes stay a valid inference view: {soa.tensor(['pt', 'nHits']).dlpack_error}")


if __name__ == "__main__":
    main()
