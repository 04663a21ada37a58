"""A progress bar: tqdm's when it is installed (the `examples` extra) and wanted, else one that only prints
(`bar.write` prints either way), so the training loop and the examples never depend on tqdm."""


class _NoBar:
    """Stands in for a tqdm bar when tqdm is missing or the bar is disabled."""

    def update(self, n=1):
        pass

    def set_postfix(self, **values):
        pass

    def close(self):
        pass

    @staticmethod
    def write(line):
        print(line)


def progress(total, disable=False, initial=0, desc="", unit="it"):
    """A tqdm bar of `total` steps (tqdm is optional: the `examples` extra installs it)."""
    if disable:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, initial=initial, desc=desc, unit=unit, dynamic_ncols=True, leave=False)
