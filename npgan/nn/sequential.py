"""Sequential: layers applied in order, their backwards run in reverse."""
from npgan.nn.module import ForwardBackwardMismatch, Module


class Sequential(Module):
    """Layers applied in order; backward runs their backwards in reverse.

    `backward(gy, need_input_grad=False)` is what a network's first layer wants when its input is data:
    no gradient is computed for the input, and layers before the first trainable one are skipped entirely.
    """

    def __init__(self, *layers):
        super().__init__()
        for index, layer in enumerate(layers):
            setattr(self, str(index), layer)

    def __getitem__(self, index):
        return list(self._modules.values())[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def forward(self, x):
        for layer in self._modules.values():
            x = layer(x)
        return x

    def backward(self, gy, need_input_grad=True):
        layers = list(self._modules.values())
        first = 0
        if not need_input_grad:  # nothing below the first trainable layer needs a gradient
            first = next((i for i, layer in enumerate(layers) if any(p.requires_grad for p in layer.parameters())),
                         len(layers))
            for layer in layers[:first]:  # release their caches (and their sub-modules') unused
                layer._release_caches()
        try:
            for index in range(len(layers) - 1, first - 1, -1):
                gy = layers[index].backward(gy, need_input_grad=need_input_grad or index > first)
        except ForwardBackwardMismatch:  # leave no layer with a stale count, so the remedy works at once
            self._release_caches()
            raise
        return gy if need_input_grad else None
