"""npgan.nn: modules, layers with hand-written backward passes, losses and initialisers."""
from npgan.nn import functional, init
from npgan.nn.activations import LeakyReLU, ReLU, Sigmoid, Tanh
from npgan.nn.layers import BatchNorm1d, Dropout, InputError, Linear, Maxout
from npgan.nn.losses import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, discriminator_loss,
                             neg_log_d, neg_log_one_minus_d,
                             generator_loss)
from npgan.nn.grad_mode import is_grad_enabled, no_grad
from npgan.nn.module import ForwardBackwardMismatch, Module, Parameter, StateDictMismatch
from npgan.nn.sequential import Sequential

__all__ = [
    "Module", "Parameter", "Sequential", "no_grad", "is_grad_enabled",
    "Linear", "Maxout", "BatchNorm1d", "Dropout", "ReLU", "LeakyReLU", "Sigmoid", "Tanh",
    "BCEWithLogitsLoss", "BCELoss", "MSELoss", "CrossEntropyLoss", "discriminator_loss", "generator_loss",
    "InputError", "ForwardBackwardMismatch", "StateDictMismatch", "functional", "init",
]
