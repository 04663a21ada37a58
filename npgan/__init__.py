"""npgan: the original GAN (Goodfellow et al., 2014) in a from-scratch NumPy framework, CuPy optional.

    from npgan import nn, optim
    G = nn.Sequential(nn.Linear(10, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid())
"""
from npgan import backend, nn, optim
from npgan._version import __version__
from npgan.backend import (gpu_available, get_array_module, get_rng, manual_seed, to_cpu, to_device,
                           to_gpu)
from npgan.nn.grad_mode import no_grad

__all__ = ["nn", "optim", "backend", "manual_seed", "get_rng", "get_array_module", "to_cpu", "to_device",
           "to_gpu", "gpu_available", "no_grad", "__version__"]
