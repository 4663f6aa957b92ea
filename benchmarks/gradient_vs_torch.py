"""One objective + full gradient of ``F(w, V, theta)``: the toolkit's NumPy model against PyTorch autograd.

The case of issue 12: ``p(x) = w^T (x + V f_theta(x))`` with ``f_theta`` an MLP with two tanh layers,
``d = h = k = 128``, logistic loss ``log(1 + exp(-y p))``, float64, on ``n`` synthetic rows
(``classification_data``, seeded).  For each ``n`` and each thread count, three things are timed in
the same process, interleaved repeat by repeat (the order alternates), and the minimum of each kept:

- **numerics**: ``ResNetProblem.gradients`` (``F``, ``grad_w``, ``grad_V``, ``grad_theta`` and the
  intermediates), the model every witness uses; from ``FUSED_MIN_ROWS`` rows on it takes the fused,
  row-blocked path of ``MLPUnit.readout_pass``;
- **torch**: the same network and data as float64 CPU tensors, ``F.backward()`` (PyTorch autograd);
  at ``n > --torch-chunk`` rows the rows are streamed in chunks (``(1/n) sum`` of each chunk's loss,
  gradients accumulated by autograd), so that the activations fit in memory;
- **6 GEMMs**: the six ``(rows x 128) (128 x 128)`` products a gradient of this network needs (forward
  ``X A1^T``, ``h1 A2^T``, ``h2 C^T``; backward ``grad A2 = dZ2^T h1``, ``delta1 = dZ2 A2``,
  ``grad A1 = dZ1^T X``), over the same rows, as a floor for anything that multiplies matrices.  (The
  fused path needs only five: the readout's cotangent is rank one.)

Both libraries get the same number of threads (``--threads``): the toolkit as
``ResNetProblem(threads=...)``, worker threads that take chunks of rows, each with a single-threaded
BLAS; torch through ``torch.set_num_threads`` (its intra-op threads); the GEMM floor through a BLAS
limited by ``threadpoolctl`` to that many threads.  Before timing, the two gradients are compared (they must agree
to :data:`AGREEMENT_RTOL`), so the times are for the same computation.  Printed per line: ``n``,
threads, the three minima, numerics/torch, numerics/(6 GEMMs), torch/(6 GEMMs), and microseconds per
row (flat in ``n`` = linear cost); the load average is printed before and after.  Goal of issue 12:
numerics/torch <= 0.75 at ``n = 1e5``.

    python benchmarks/gradient_vs_torch.py                       # n = 1e3 .. 1e6, 1 and 2 threads
    python benchmarks/gradient_vs_torch.py --sizes 1e5 --threads 1 --repeats 9

Needs PyTorch (``pip install torch==2.13.0``, the CPU build).  Memory: ``n = 1e6`` holds ``X``
(1 GB) plus one torch chunk's activations (about 1 GB at the default chunk).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

WIDTH = 128            # d = h = k
GOAL_RATIO = 0.75      # issue 12: numerics / torch at n = 1e5
#: The NumPy and PyTorch gradients must agree to this, relative to the largest entry of each block
#: (F, grad_w, grad_V, grad_theta): both are float64 evaluations of the same formulas, summing
#: n * 128 terms in different orders, so they differ by rounding, ~1e-14 relative at n = 1e5 (measured
#: below 1e-13); a different network or loss would differ by O(1).
AGREEMENT_RTOL = 1e-10


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def parse_size(text: str) -> int:
    value = float(text)
    if value < 2 or value != int(value):
        raise argparse.ArgumentTypeError(f"a size must be an integer >= 2 (1e5 is fine); got {text!r}")
    return int(value)


def build_case(n: int, seed: int, threads: int = 1):
    """The instance: ``(problem, w, V, theta)`` with the toolkit's model, from one seed."""
    from resnet_lemmas.numerics.data.synthetic import data_for_loss
    from resnet_lemmas.numerics.models.networks import MLPUnit
    from resnet_lemmas.numerics.models.residual import ResNetProblem
    from resnet_lemmas.proofs.losses import get_loss

    rng = np.random.default_rng(seed)
    loss = get_loss("logistic")
    X, y = data_for_loss(rng, loss, n, WIDTH)
    unit = MLPUnit(WIDTH, WIDTH, (WIDTH, WIDTH), "tanh")
    problem = ResNetProblem(unit, X, y, loss, threads=threads)
    theta = unit.init(rng)
    w = rng.normal(size=WIDTH) / np.sqrt(WIDTH)
    V = rng.normal(size=(WIDTH, WIDTH)) / np.sqrt(WIDTH)
    return problem, w, V, theta


class TorchCase:
    """The same network in PyTorch: leaf tensors ``w, V, A1, b1, A2, b2, C, c`` (float64)."""

    def __init__(self, problem, w, V, theta, chunk: int):
        import torch

        self.torch = torch
        self.X = torch.from_numpy(problem.X)      # shares memory with the NumPy array
        self.y = torch.from_numpy(problem.y)
        (A1, b1), (A2, b2), (C, c) = problem.unit.layers(theta)
        self.leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True)
                       for a in (w, V, A1, b1, A2, b2, C, c)]
        self.n, self.chunk = problem.n, chunk

    def value_and_grad(self):
        """``F`` and the gradients of the leaves (autograd), streaming chunks of rows if ``n`` is large."""
        torch = self.torch
        for leaf in self.leaves:
            leaf.grad = None
        w, V, A1, b1, A2, b2, C, c = self.leaves
        total = 0.0
        for start in range(0, self.n, self.chunk):
            X, y = self.X[start:start + self.chunk], self.y[start:start + self.chunk]
            h1 = torch.tanh(X @ A1.T + b1)
            h2 = torch.tanh(h1 @ A2.T + b2)
            p = (X + (h2 @ C.T + c) @ V.T) @ w
            # logaddexp(0, -y p) = log(1 + exp(-y p)), the lambdified logistic loss of the toolkit
            chunk_loss = torch.logaddexp(torch.zeros_like(p), -y * p).sum() / self.n
            chunk_loss.backward()
            total += float(chunk_loss.detach())
        return total, [leaf.grad for leaf in self.leaves]


def six_gemms(problem, theta, chunk: int) -> None:
    """The six products of a gradient of this network, over all rows (in chunks of ``chunk`` rows)."""
    (A1, _), (A2, _), (C, _) = problem.unit.layers(theta)
    rows = min(chunk, problem.n)
    h1, h2, out = np.empty((rows, WIDTH)), np.empty((rows, WIDTH)), np.empty((rows, WIDTH))
    grad = np.empty((WIDTH, WIDTH))
    for start in range(0, problem.n, rows):
        X = problem.X[start:start + rows]
        m = X.shape[0]
        np.matmul(X, A1.T, out=h1[:m])
        np.matmul(h1[:m], A2.T, out=h2[:m])
        np.matmul(h2[:m], C.T, out=out[:m])
        np.matmul(h2[:m].T, h1[:m], out=grad)      # grad A2 = dZ2^T h1 (dZ2 has h2's shape)
        np.matmul(h2[:m], A2, out=out[:m])          # delta1 = dZ2 A2
        np.matmul(out[:m].T, X, out=grad)          # grad A1 = dZ1^T X


def agreement(gradients, torch_value, torch_grads, problem) -> float:
    """Largest relative disagreement between the NumPy and the torch gradients (see AGREEMENT_RTOL)."""
    grad_theta = np.concatenate([g.numpy().ravel() for g in torch_grads[2:]])
    pairs = [(np.array([gradients.F]), np.array([torch_value])),
             (gradients.grad_w, torch_grads[0].numpy()), (gradients.grad_V, torch_grads[1].numpy()),
             (gradients.grad_theta, grad_theta)]
    return max(float(np.max(np.abs(a - b)) / np.max(np.abs(b))) for a, b in pairs)


def repeats_for(n: int, repeats: int) -> int:
    """``repeats`` at ``n = 1e5``; more for smaller ``n`` (up to 10x: cheap, and the minimum of more
    samples is steadier on a shared machine), a third (at least 3) from ``n = 1e6``."""
    if n >= 10**6:
        return max(3, repeats // 3)
    return int(min(10 * repeats, max(repeats, repeats * 10**5 // n)))


def measure(n: int, threads: int, repeats: int, seed: int, torch_chunk: int) -> dict:
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    problem, w, V, theta = build_case(n, seed, threads)
    case = TorchCase(problem, w, V, theta, torch_chunk)
    timers = {
        "numerics": lambda: problem.gradients(w, V, theta),
        "torch": case.value_and_grad,
        "gemm6": lambda: six_gemms(problem, theta, torch_chunk),
    }
    best = {name: float("inf") for name in timers}
    with threadpool_limits(limits=threads, user_api="blas"):
        gradients = timers["numerics"]()
        value, grads = timers["torch"]()
        disagreement = agreement(gradients, value, grads, problem)
        if not disagreement <= AGREEMENT_RTOL:
            raise SystemExit(f"n = {n}: NumPy and torch gradients differ by {disagreement:.3g} relative "
                             f"(> {AGREEMENT_RTOL}): the two sides do not compute the same thing")
        names = list(timers)
        for rep in range(repeats):
            for name in (names if rep % 2 == 0 else names[::-1]):
                start = time.perf_counter()
                timers[name]()
                best[name] = min(best[name], time.perf_counter() - start)
    return {"n": n, "threads": threads, "disagreement": disagreement, **best}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=parse_size, default=[10**3, 10**4, 10**5, 10**6])
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--repeats", type=int, default=7,
                        help="interleaved repeats at n = 1e5 (more below, a third from 1e6)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--torch-chunk", type=int, default=100_000,
                        help="rows per streamed torch chunk (and per chunk of the GEMM floor)")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: pip install torch==2.13.0", file=sys.stderr)
        return 2
    from resnet_lemmas.numerics.models.networks import BLOCK_ENTRIES
    from resnet_lemmas.numerics.models.residual import FUSED_MIN_ROWS

    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; "
          f"numpy {np.__version__}, torch {torch.__version__}; float64; d = h = k = {WIDTH}, two tanh "
          f"layers, logistic loss; fused path from {FUSED_MIN_ROWS} rows, blocks of "
          f"{BLOCK_ENTRIES // WIDTH} rows; seed {args.seed}")
    print("load average before: %.2f %.2f %.2f" % os.getloadavg())
    print(f"{'n':>9} {'thr':>3} {'numerics s':>11} {'torch s':>9} {'6 GEMMs s':>10} {'num/torch':>9} "
          f"{'num/GEMM':>9} {'torch/GEMM':>10} {'num us/row':>10} {'torch us/row':>12} {'agree':>8}")
    results = []
    for threads in args.threads:
        for n in args.sizes:
            repeats = repeats_for(n, args.repeats)
            r = measure(n, threads, repeats, args.seed, args.torch_chunk)
            results.append(r)
            print(f"{n:>9} {threads:>3} {r['numerics']:>11.4f} {r['torch']:>9.4f} {r['gemm6']:>10.4f} "
                  f"{r['numerics'] / r['torch']:>9.2f} {r['numerics'] / r['gemm6']:>9.2f} "
                  f"{r['torch'] / r['gemm6']:>10.2f} {1e6 * r['numerics'] / n:>10.2f} "
                  f"{1e6 * r['torch'] / n:>12.2f} {r['disagreement']:>8.1e}", flush=True)
    print("load average after:  %.2f %.2f %.2f" % os.getloadavg())
    for r in results:
        if r["n"] == 10**5:
            ratio = r["numerics"] / r["torch"]
            print(f"goal numerics/torch <= {GOAL_RATIO} at n = 1e5, {r['threads']} thread(s): "
                  f"{ratio:.2f} ({'met' if ratio <= GOAL_RATIO else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
