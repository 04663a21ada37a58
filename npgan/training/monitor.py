"""Gradient flow through G and D during training: per-layer gradient norms and saturated units.

    monitor = GradientFlowMonitor(G, D)
    for step in range(steps):
        trainer.iteration(real_batches)
        monitor.observe(trainer)             # device arithmetic only: nothing leaves the device here
        if step % log_every == 0:
            rows = monitor.pop_rows()        # one device→host transfer for the whole interval
    monitor.fieldnames()                     # the CSV header: iteration, G.grad_norm, G.0.grad_norm, ...

What is recorded at each `observe`, as device scalars:

- `<net>.grad_norm`: ‖∇θ L‖₂ over all of the net's parameters, and `<net>.<layer>.grad_norm` for each
  layer that owns parameters (Linear: ‖(gW, gb)‖₂, BatchNorm: ‖(gγ, gβ)‖₂, Maxout: ‖(gW, gb)‖₂).
  After `GANTrainer.iteration`, G's gradients are those of its one step; D's are those of its last
  discriminator step (G's step freezes D, so D's .grad is left as its own step wrote it). A layer with no
  gradient (frozen, or no backward yet) reads 0.
- `<net>.<layer>.saturated`: the fraction of a ReLU's or Sigmoid's outputs that are saturated, i.e. where
  the unit passes (almost) no gradient back:
      ReLU:     y == 0                 (the gradient 1[y > 0] is exactly 0)
      Sigmoid:  y < 0.01 or y > 0.99   (the gradient y(1 − y) is below 0.0099, < 4 % of its peak ¼)
  averaged over the forwards since the previous `observe` that training backpropagates (for D: its k
  steps on real and fake minibatches and its pass over G's fakes in G's step). Forwards under no_grad()
  are not counted (see Module.register_forward_hook). NaN when the layer ran no such forward.

Why the norms matter (Goodfellow et al. 2014, section 3): early in training D rejects G's samples with
high confidence, D(G(z)) ≈ 0, and the minimax loss log(1 − D(G(z))) is flat there, so G's gradient
vanishes; the non-saturating loss −log D(G(z)) has a strong gradient at the same point. The norms show it.
"""
from npgan import backend as B
from npgan.nn.activations import ReLU, Sigmoid

SIGMOID_SATURATION = 0.01  # a Sigmoid unit is saturated below this or above 1 − this


def saturated_fraction(module, y):
    """The fraction of the elements of y (a ReLU's or Sigmoid's output) that are saturated, a device scalar
    in y's dtype: ReLU y == 0; Sigmoid y < 0.01 or y > 0.99."""
    if isinstance(module, ReLU):
        saturated = y == 0.0
    else:
        saturated = (y < SIGMOID_SATURATION) | (y > 1.0 - SIGMOID_SATURATION)
    return saturated.mean(dtype=y.dtype)


class GradientFlowMonitor:
    """Records per-layer gradient norms of G and D, and the saturated fraction of every ReLU and Sigmoid,
    on the device at each `observe(trainer)`; `pop_rows()` fetches everything since the last call at once.

    Layers are named by their path in the net ("G.3" is `G[3]`). `saturation=False` registers no hooks.
    `close()` removes the forward hooks.
    """

    def __init__(self, G, D, saturation=True):
        self.nets = {"G": G, "D": D}
        modules = [(f"{net}.{name or 'self'}", module) for net, model in self.nets.items()
                   for name, module in model.named_modules()]  # "G.3": layer 3 of G's Sequential
        self.layers = [(key, module) for key, module in modules if module._parameters]
        self.activations = [(key, module) for key, module in modules
                            if saturation and isinstance(module, (ReLU, Sigmoid))]
        self._sums = {key: None for key, _ in self.activations}
        self._counts = dict.fromkeys(self._sums, 0)
        self._handles = [module.register_forward_hook(self._hook(key)) for key, module in self.activations]
        self._rows, self._iterations = [], []

    def _hook(self, key):
        def record(module, x, y):
            fraction = saturated_fraction(module, y)
            total = self._sums[key]
            self._sums[key] = fraction if total is None else total + fraction
            self._counts[key] += 1
        return record

    def fieldnames(self):
        """The CSV header of the rows: iteration, then each net's total norm and its layers', then the
        saturated fractions."""
        names = ["iteration"]
        for net in self.nets:
            names.append(f"{net}.grad_norm")
            names += [f"{key}.grad_norm" for key, _ in self.layers if key.split(".", 1)[0] == net]
        return names + [f"{key}.saturated" for key, _ in self.activations]

    def observe(self, trainer=None, iteration=None):
        """Record the current gradients (and the saturation seen since the last call) as one device row.

        The row is labelled with `trainer.iterations` (or `iteration`, or a running count).
        """
        if iteration is None:
            iteration = trainer.iterations if trainer is not None else len(self._iterations) + 1
        xp = self.nets["G"].xp
        dtype = self.nets["G"].parameters()[0].dtype
        zero = xp.zeros((), dtype=dtype)
        values = []
        for net in self.nets:
            squares = [self._squared_norm(module, zero) for key, module in self.layers
                       if key.split(".", 1)[0] == net]
            total = squares[0]
            for square in squares[1:]:
                total = total + square
            values.append(xp.sqrt(total))
            values += [xp.sqrt(square) for square in squares]
        for key, _ in self.activations:
            total, count = self._sums[key], self._counts[key]
            values.append(total / count if count else xp.full((), float("nan"), dtype=dtype))
            self._sums[key], self._counts[key] = None, 0
        self._rows.append(xp.stack([v.astype(dtype, copy=False) for v in values]))
        self._iterations.append(int(iteration))

    @staticmethod
    def _squared_norm(module, zero):
        """Σ over the module's own parameters of ‖grad‖² (a BLAS dot per parameter, no temporaries)."""
        square = zero
        for param in module._parameters.values():
            if param.grad is not None:
                flat = param.grad.reshape(-1)
                xp = B.get_array_module(flat)
                square = square + xp.vdot(flat, flat)
        return square

    def pop_rows(self):
        """The rows recorded since the last call, as dicts of floats (one device→host transfer)."""
        if not self._rows:
            return []
        xp = B.get_array_module(self._rows[0])
        host = B.to_cpu(xp.stack(self._rows)).tolist()
        names = self.fieldnames()[1:]
        rows = [{"iteration": iteration, **dict(zip(names, values))}
                for iteration, values in zip(self._iterations, host)]
        self._rows, self._iterations = [], []
        return rows

    def close(self):
        """Stop observing activations (removes the forward hooks)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

