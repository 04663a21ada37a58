"""Diagnostic (variant "torch-gemms"): npgan's Linear layers multiply with torch.mm (MKL) on the same NumPy
memory, shared without a copy; everything else in npgan stays as it is. Beside the plain npgan row it splits
the gap to PyTorch into what the BLAS costs and what npgan's own code costs.

:func:`gemms_by_torch` patches npgan for the whole process: the benchmark calls it only in the worker that
times this variant.
"""
import numpy as np


def gemms_by_torch(threads):
    """Point npgan's linear pair at torch.mm. The two functions restate npgan.nn.functional's linear pair
    with `mm` for `@`."""
    import torch
    from npgan import nn
    from npgan.nn import functional as F
    torch.set_num_threads(threads)

    def mm(a, b):
        out = np.empty((a.shape[0], b.shape[1]), dtype=a.dtype)
        torch.mm(torch.from_numpy(a), torch.from_numpy(b), out=torch.from_numpy(out))
        return out

    def linear_forward(x, W, b):
        y = mm(x, W)
        y += b
        return y, (x, W)

    def linear_backward(gy, cache, need_gx=True, need_gW=True, need_gb=True):
        x, W = cache
        gx = None if not need_gx else gy * W[:, 0] if W.shape[1] == 1 else mm(gy, W.T)
        return gx, (mm(x.T, gy) if need_gW else None), (gy.sum(axis=0) if need_gb else None)

    F.linear_forward, F.linear_backward = linear_forward, linear_backward
    nn.Linear._backward = staticmethod(linear_backward)
