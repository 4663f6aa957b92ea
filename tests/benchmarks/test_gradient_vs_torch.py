"""benchmarks/gradient_vs_torch.py: its two sides compute the same gradient, and its agreement check
rejects a torch side that computes something else (the times would then compare different work)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gradient_vs_torch.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("gradient_vs_torch", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_numpy_and_torch_sides_agree(bench):
    result = bench.measure(n=600, threads=1, repeats=1, seed=3, torch_chunk=250)   # fused path, 3 chunks
    assert result["disagreement"] <= bench.AGREEMENT_RTOL
    assert all(result[name] > 0 for name in ("numerics", "torch", "gemm6"))


def test_agreement_check_rejects_a_different_torch_network(bench, monkeypatch):
    """A torch side that drops the readout bias c is caught before anything is timed."""
    original = bench.TorchCase.__init__

    def without_bias(self, problem, w, V, theta, chunk):
        original(self, problem, w, V, theta, chunk)
        with torch.no_grad():
            self.leaves[-1].zero_()

    monkeypatch.setattr(bench.TorchCase, "__init__", without_bias)
    with pytest.raises(SystemExit, match="NumPy and torch gradients differ by .* relative"):
        bench.measure(n=600, threads=1, repeats=1, seed=3, torch_chunk=250)


def test_sizes_must_be_integers_of_at_least_two(bench):
    assert bench.parse_size("1e5") == 100_000
    with pytest.raises(Exception, match="a size must be an integer >= 2"):
        bench.parse_size("1.5")
