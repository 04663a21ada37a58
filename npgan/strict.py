"""Deprecated alias: the strict test backend lives in :mod:`npgan.testing.strict` now.

``import npgan.strict`` / ``from npgan import strict`` keep working and give that very module (so
``get_array_module(x) is strict`` still holds), with a DeprecationWarning. Importing it installs nothing.
"""
import sys
import warnings

from npgan.testing import strict as _strict

warnings.warn("npgan.strict moved to npgan.testing.strict (test tooling); import it from there",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _strict
