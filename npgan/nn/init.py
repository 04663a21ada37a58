"""Parameter initialisers. Every draw is float32, made on the host from the run's seeded generator
(`npgan.backend.get_rng("host")`), so the same seed gives the same network on every backend.

The in-place forms (`uniform_`, `normal_`, `xavier_uniform_`, `kaiming_uniform_`, ...) fill an existing
Parameter on whatever device it lives; the plain forms return a new host array.
"""
import numpy as np

from npgan import backend as B


def uniform(shape, a, rng=None):
    """U(−a, a): the paper's code (pylearn2's `irange`) draws every weight this way."""
    rng = rng or B.get_rng("host")
    w = rng.random(shape, dtype=np.float32)
    w *= 2.0 * a
    w -= a
    return w


def normal(shape, std, rng=None):
    """N(0, std²)."""
    rng = rng or B.get_rng("host")
    w = rng.standard_normal(shape, dtype=np.float32)
    w *= std
    return w


def _fans(shape):
    # Linear/Maxout weights are (in_features, out_features): fan_in is the first axis.
    return shape[0], shape[1] if len(shape) > 1 else shape[0]


def xavier_uniform(shape, gain=1.0, rng=None):
    """Glorot & Bengio (2010): U(−a, a) with a = gain·√(6/(fan_in + fan_out))."""
    fan_in, fan_out = _fans(shape)
    return uniform(shape, gain * (6.0 / (fan_in + fan_out)) ** 0.5, rng)


def xavier_normal(shape, gain=1.0, rng=None):
    fan_in, fan_out = _fans(shape)
    return normal(shape, gain * (2.0 / (fan_in + fan_out)) ** 0.5, rng)


def kaiming_uniform(shape, negative_slope=0.0, rng=None):
    """He et al. (2015), fan-in mode: U(−a, a) with a = √(6/((1 + slope²)·fan_in))."""
    fan_in, _ = _fans(shape)
    return uniform(shape, (6.0 / ((1.0 + negative_slope ** 2) * fan_in)) ** 0.5, rng)


def kaiming_normal(shape, negative_slope=0.0, rng=None):
    fan_in, _ = _fans(shape)
    return normal(shape, (2.0 / ((1.0 + negative_slope ** 2) * fan_in)) ** 0.5, rng)


def constant(shape, value):
    return np.full(shape, value, dtype=np.float32)


def _fill(param, host_values):
    """Write host values into a parameter on its own device, in its own dtype."""
    values = host_values.astype(param.data.dtype, copy=False)
    param.data[...] = B.to_device(values, B.backend_of(param.data))
    return param


def uniform_(param, a, rng=None):
    return _fill(param, uniform(param.shape, a, rng))


def normal_(param, std, rng=None):
    return _fill(param, normal(param.shape, std, rng))


def xavier_uniform_(param, gain=1.0, rng=None):
    return _fill(param, xavier_uniform(param.shape, gain, rng))


def xavier_normal_(param, gain=1.0, rng=None):
    return _fill(param, xavier_normal(param.shape, gain, rng))


def kaiming_uniform_(param, negative_slope=0.0, rng=None):
    return _fill(param, kaiming_uniform(param.shape, negative_slope, rng))


def kaiming_normal_(param, negative_slope=0.0, rng=None):
    return _fill(param, kaiming_normal(param.shape, negative_slope, rng))


def constant_(param, value):
    return _fill(param, constant(param.shape, value))
