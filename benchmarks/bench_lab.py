"""Frames per second of the GAN lab: what "play" does per frame, timed end to end.

    python benchmarks/bench_lab.py                    # ring, widths 64 and 128, heatmap 100 x 100
    python benchmarks/bench_lab.py --frames 200 --speed 1 5

One frame = `lab.advance()` (`speed` iterations of Algorithm 1, k = 1, batch 128) + `view.update()`: the
measures (D on the 100 x 100 cells, 2,000 samples of G, p_g, D*, V, JSD, modes covered), the artists'
data set in place, and the blitted Agg render (the pixels ipympl sends; the Image fallback's PNG encoding
is timed separately). Prints the load average beside the numbers: the machine is shared.
"""
import argparse
import os
import time

from npgan.lab import Lab
from npgan.lab.view import LabView


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--frames", type=int, default=100)
    p.add_argument("--hidden", type=int, nargs="+", default=[64, 128])
    p.add_argument("--speed", type=int, nargs="+", default=[1])
    p.add_argument("--data", default="ring")
    args = p.parse_args()
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {os.cpu_count()} CPUs")
    print("| data | width | iterations/frame | frames/s (step + measure + blit) | + PNG for the Image fallback |")
    print("|---|---|---|---|---|")
    for hidden in args.hidden:
        for speed in args.speed:
            lab = Lab(args.data, hidden=hidden, resolution=100, speed=speed, seed=0)
            view = LabView(lab)
            for _ in range(10):  # warm up (first full draw, caches)
                lab.advance()
                view.update()
            started = time.perf_counter()
            for _ in range(args.frames):
                lab.advance()
                view.update()
            live = args.frames / (time.perf_counter() - started)
            started = time.perf_counter()
            for _ in range(args.frames // 4):
                lab.advance()
                view.update()
                view.png()
            image = (args.frames // 4) / (time.perf_counter() - started)
            print(f"| {args.data} | {hidden} | {speed} | {live:.1f} | {image:.1f} |")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
