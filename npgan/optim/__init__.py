"""npgan.optim: the optimizers and the paper's schedules, with PyTorch's rules. In order of increasing
complexity:

    optimizer.py   Optimizer: the parameters, zero_grad, step, state_dict / load_state_dict
    sgd.py         SGD — momentum (the paper's) and Nesterov — and its update formulas
    adam.py        Adam and its update formula
    schedules.py   MomentumRamp and ExponentialDecay, the paper's per-epoch and per-update schedules
    cuda.py        the update formulas as fused CUDA kernels (attached with @fused, see npgan/kernels.py)
    host.py        the update formulas as tuned host spellings (likewise, where a benchmark measured they pay)

Each update rule is written once as its formula (`sgd_momentum_update`, `adam_update`), updating the
parameter and its state in place; that body is what tests/test_kernels.py holds the faster spellings to.
"""
from npgan.optim.adam import Adam, adam_update
from npgan.optim.optimizer import Optimizer
from npgan.optim.schedules import ExponentialDecay, MomentumRamp
from npgan.optim.sgd import SGD, sgd_momentum_update, sgd_nesterov_update

__all__ = ["Optimizer", "SGD", "Adam", "MomentumRamp", "ExponentialDecay",
           "sgd_momentum_update", "sgd_nesterov_update", "adam_update"]
