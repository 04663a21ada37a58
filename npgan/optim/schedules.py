"""The paper's schedules (its code used pylearn2's MomentumAdjustor and ExponentialDecay): a per-epoch
momentum ramp and a per-update learning-rate decay. Importable from npgan.optim as well."""
from npgan.nn.checks import check_int_at_least, check_number, scalar


class MomentumRamp:
    """Momentum rising linearly from `start` (at `start_epoch`) to `end` (at `saturate_epoch`), then flat.
    Call `step(epoch)` at the start of each epoch (epochs counted from 1, as pylearn2 did)."""

    def __init__(self, optimizer, start=0.5, end=0.7, start_epoch=1, saturate_epoch=250):
        if not hasattr(optimizer, "momentum"):
            raise TypeError(f"MomentumRamp: optimizer must have a momentum (SGD), got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.start = check_number("MomentumRamp", "start", start, 0.0, 1.0, high_open=True)
        self.end = check_number("MomentumRamp", "end", end, 0.0, 1.0, high_open=True)
        self.start_epoch = check_int_at_least("MomentumRamp", "start_epoch", start_epoch, 0)
        self.saturate_epoch = check_int_at_least("MomentumRamp", "saturate_epoch", saturate_epoch,
                                                 self.start_epoch)
        optimizer.momentum = self.start

    def value(self, epoch):
        span = max(self.saturate_epoch - self.start_epoch, 1)
        fraction = min(max((epoch - self.start_epoch) / span, 0.0), 1.0)
        return self.start + fraction * (self.end - self.start)

    def step(self, epoch):
        self.optimizer.momentum = self.value(epoch)


class ExponentialDecay:
    """lr_t = max(lr_0 / decay_factor^t, min_lr) after t updates; call `step()` after every update.
    (The paper's MNIST run: decay_factor 1.000004, min_lr 1e-6.)"""

    def __init__(self, optimizer, decay_factor=1.000004, min_lr=1e-6):
        self.optimizer = optimizer
        self.decay_factor = check_number("ExponentialDecay", "decay_factor", decay_factor, low=0.0, low_open=True)
        self.min_lr = check_number("ExponentialDecay", "min_lr", min_lr, low=0.0)
        self.base_lr, self.updates = optimizer.lr, 0

    def step(self):
        self.updates += 1
        self.optimizer.lr = max(self.base_lr / self.decay_factor ** self.updates, self.min_lr)

    def restart(self, lr):
        """Decay from `lr`, now (a resumed run given a new learning rate)."""
        self.base_lr, self.updates = float(lr), 0
        self.optimizer.lr = max(self.base_lr, self.min_lr)

    def state_dict(self):
        return {"base_lr": self.base_lr, "updates": self.updates}

    def load_state_dict(self, saved):
        """Checked first (base_lr a finite number > 0, updates an int ≥ 0); on error nothing changes."""
        base_lr = check_number("ExponentialDecay", "base_lr", scalar(saved["base_lr"]), low=0.0, low_open=True)
        updates = check_int_at_least("ExponentialDecay", "updates", scalar(saved["updates"]), 0)
        self.base_lr, self.updates = base_lr, updates
        self.optimizer.lr = max(self.base_lr / self.decay_factor ** self.updates, self.min_lr)
