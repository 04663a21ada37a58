"""Test tooling for npgan: nothing here is imported by ``import npgan``, and importing it changes nothing.

* :mod:`npgan.testing.strict` — the ``"strict"`` backend: host memory that obeys CuPy's device rules, with
  every host<->device transfer counted (``backend="strict"`` or ``NPGAN_BACKEND=strict`` load it lazily).
  Its parts: :mod:`~npgan.testing.strict_array` (the array type and its rules),
  :mod:`~npgan.testing.transfers` (the transfer counters), :mod:`~npgan.testing.numpy_guards` (the
  ``numpy.asarray`` guards, installed only while strict arrays are in use).
* :mod:`npgan.testing.nvrtc` — CuPy's CUDA source for every npgan kernel, compiled with NVRTC for named GPU
  architectures on a machine with no GPU (``tests/test_cuda_compile.py``; ``pip install -e .[gpu-check]``).
* :mod:`npgan.testing.torch_reference` — the same networks and Algorithm-1 iteration in PyTorch, shared by
  ``tests/test_vs_torch.py`` and the benchmarks (needs PyTorch: ``pip install -e .[bench]``).
"""
