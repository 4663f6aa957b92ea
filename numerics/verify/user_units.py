"""Users' own residual units ``f_theta``: loading ``MODULE:ATTR`` and adapting it to the unit protocol.

The paper's main theorem (Shamir 2018; lemma ``local_minima_beat_linear``) holds for *any* residual unit
``f_theta : R^d -> R^k`` in ``p(x) = w^T (x + V f_theta(x))``.  This module turns what a user has into
the protocol of :mod:`.networks` (``unit(X, theta) -> (n, k)``, ``theta0``, ``vjp``), so that
:class:`~.model.ResNetProblem` and the local-minimum search (:mod:`.search`) can run on it:

- a **NumPy unit**: an object callable as ``unit(X (n, d), theta (q,)) -> (n, k)`` with a 1-D attribute
  ``theta0`` (or a method ``init(rng, scale=1.0)``), optionally with
  ``vjp(X, theta, G (n, k)) -> (q,) = grad_theta sum_ij G_ij f_theta(x_i)_j``.  Without ``vjp`` the
  derivative in ``theta`` is taken numerically by :func:`numeric_vjp` (Richardson extrapolation,
  ``scipy.differentiate.jacobian``; its cost is stated there);  -> :class:`NumpyUnit`
- a **PyTorch** ``torch.nn.Module`` mapping a float64 tensor ``(n, d)`` to ``(n, k)``: ``theta`` is the
  flat vector of its parameters (``parameters_to_vector`` order), evaluated by
  ``torch.func.functional_call`` on a float64 copy in ``eval()`` mode, and ``vjp`` is autograd.  torch
  is imported only when such a module is adapted (optional extra ``torch``);  -> :class:`TorchUnit`

Only the derivatives in ``(w, V)`` enter the theorem and its bounds; ``grad_theta F`` is needed by the
search (to move ``theta``) and by its convergence test.

Every failure is a :class:`UserUnitError` (a ``ValueError``) naming the problem: the module does not
import (:class:`UnitImportError`), the attribute is missing (:class:`UnitAttributeError`) or of the
wrong kind (:class:`UnitKindError`), the output has the wrong shape or is not finite
(:class:`UnitOutputError`).
"""
from __future__ import annotations

import contextlib
import copy
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Callable

import numpy as np
from scipy.differentiate import jacobian

from resnet_lemmas.numerics.certificates.derivatives import INITIAL_STEP, derivative_tolerance, directional_derivative

EPS = np.finfo(np.float64).eps


class UserUnitError(ValueError):
    """A user's residual unit cannot be used (the message says why and what to do)."""


class UnitImportError(UserUnitError):
    """``MODULE`` of ``MODULE:ATTR`` cannot be imported."""


class UnitAttributeError(UserUnitError):
    """``ATTR`` of ``MODULE:ATTR`` does not exist."""


class UnitKindError(UserUnitError):
    """The object is neither a NumPy unit nor a PyTorch module (or lacks ``theta0``/``init``)."""


class UnitOutputError(UserUnitError):
    """The unit's output on the data has the wrong shape or NaN/inf entries, or calling it failed."""


# -- loading ``MODULE:ATTR`` ------------------------------------------------------------------------
def _split_spec(spec: str) -> tuple[str, str]:
    if not isinstance(spec, str) or ":" not in spec:
        raise UnitAttributeError(
            f"expected MODULE:ATTR (e.g. my_units:block or path/to/file.py:block); got {spec!r}")
    module, _, attr = spec.rpartition(":")
    if not module or not attr:
        raise UnitAttributeError(f"expected MODULE:ATTR with both parts non-empty; got {spec!r}")
    return module, attr


def _import_file(path: Path):
    """Import a ``.py`` file as a module named after its stem (its folder goes first on sys.path, so
    its own sibling imports work, as with ``python path/to/file.py``)."""
    if not path.is_file():
        raise UnitImportError(f"module file {str(path)!r} does not exist")
    name = path.stem
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UnitImportError(f"cannot import {str(path)!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise UnitImportError(f"importing {str(path)!r} failed: {type(exc).__name__}: {exc}") from exc
    return module


def _import_module(name: str):
    """Import ``name`` with the current directory on sys.path (first), like ``python -m``."""
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Tell "your module does not exist" apart from "your module imports something missing".
        missing = exc.name or ""
        if name == missing or name.startswith(missing + "."):
            raise UnitImportError(
                f"no module named {name!r} (searched the current directory {cwd!r} and sys.path); "
                "give MODULE as an importable name or as a path to a .py file") from exc
        raise UnitImportError(f"importing module {name!r} failed: it needs {missing!r}, which is not "
                              f"installed ({exc})") from exc
    except Exception as exc:
        raise UnitImportError(f"importing module {name!r} failed: {type(exc).__name__}: {exc}") from exc


def load_object(spec: str):
    """The object ``ATTR`` of ``MODULE:ATTR``; ``MODULE`` is a dotted module name (imported with the
    current directory on ``sys.path``) or a path ending in ``.py``; ``ATTR`` may be dotted."""
    module_name, attr = _split_spec(spec)
    if module_name.endswith(".py") or os.sep in module_name or "/" in module_name:
        module = _import_file(Path(module_name))
    else:
        module = _import_module(module_name)
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            public = sorted(n for n in dir(module) if not n.startswith("_"))
            raise UnitAttributeError(
                f"module {module.__name__!r} has no attribute {attr!r}; it defines: "
                f"{', '.join(public[:20])}{' ...' if len(public) > 20 else ''}")
        obj = getattr(obj, part)
    return obj


# -- numeric vjp ----------------------------------------------------------------------------------
#: First steps tried by :func:`numeric_vjp`: the default of :mod:`.derivatives`, then shorter ones for
#: coordinates whose estimate did not settle (a kink of a piecewise-linear unit within the stencil).
NUMERIC_STEPS = (INITIAL_STEP, 1e-3, 1e-5)


def numeric_vjp(unit: Callable, X, theta, G, *, steps: tuple[float, ...] = NUMERIC_STEPS,
                rtol: float = 1e-10, maxiter: int = 10) -> tuple[np.ndarray, float, int]:
    """``grad_theta s(theta)`` for ``s(theta) = sum_ij G_ij unit(X, theta)_ij``, by Richardson extrapolation.

    Shapes: ``X (n, d)``, ``theta (q,)``, ``G (n, k)``; returns ``(vjp (q,), error_estimate, nfev)``.
    Uses ``scipy.differentiate.jacobian`` of ``s`` (central differences of order 8 on the steps
    ``h / 2^j``, ``h = steps[0]``, each coordinate stopping when two successive estimates agree within
    ``atol + rtol |estimate|``, with ``atol = rtol * (1 + sum_ij |G_ij unit(X, theta)_ij|)``, i.e. relative
    to the size of ``s``'s terms).  Coordinates that did not meet that tolerance are redone with the
    next, shorter first step (``steps[1:]``: near a kink of a relu unit the long stencils straddle it),
    keeping per coordinate the estimate with the smallest error estimate.  ``error_estimate`` is the
    largest per-coordinate error estimate kept (scipy's ``error``: the change between the last two
    levels, an estimate of the error's size, not a bound).

    Cost: ``nfev`` unit evaluations, about ``11 q`` for a smooth unit (``9 q`` for the first level
    plus ``2 q`` per further level); up to three times that for piecewise-linear units: the price of
    not having a ``vjp``.  Accuracy: about ``1e-13`` relative for smooth units (tested against
    hand-written backprop), and for relu units whenever no kink lies within ``steps[-1]``.
    """
    X = np.asarray(X, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)
    G = np.asarray(G, dtype=np.float64)
    q = theta.shape[0]
    if q == 0:
        return np.zeros(0), 0.0, 0
    out0 = np.asarray(unit(X, theta), dtype=np.float64)
    if out0.shape != G.shape:
        raise UnitOutputError(f"G has shape {G.shape} but the unit returned {out0.shape}")
    atol = rtol * (1.0 + float(np.sum(np.abs(G * out0))))
    count = [1]
    grad = np.zeros(q)
    error = np.full(q, np.inf)
    todo = np.arange(q)
    for step in steps:
        def s_batch(xi, idx=todo):
            # xi has shape (len(idx), *batch): values of the coordinates idx, one parameter vector per
            # batch entry; the unit takes one parameter vector at a time.
            flat = xi.reshape(idx.size, -1)
            vals = np.empty(flat.shape[1])
            point = theta.copy()
            for j in range(flat.shape[1]):
                point[idx] = flat[:, j]
                vals[j] = float(np.sum(G * np.asarray(unit(X, point), dtype=np.float64)))
            count[0] += flat.shape[1]
            return vals.reshape((1,) + xi.shape[1:])

        res = jacobian(s_batch, theta[todo], initial_step=step, maxiter=maxiter, order=8,
                       tolerances={"atol": atol, "rtol": rtol})
        df = np.asarray(res.df, dtype=np.float64).reshape(todo.size)
        err = np.asarray(res.error, dtype=np.float64).reshape(todo.size)
        err = np.where(np.isfinite(df) & np.isfinite(err), err, np.inf)
        better = err < error[todo]
        grad[todo[better]] = df[better]
        error[todo[better]] = err[better]
        todo = todo[error[todo] > atol + rtol * np.abs(grad[todo])]
        if todo.size == 0:
            break
    if not np.all(np.isfinite(grad)) or not np.all(np.isfinite(error)):
        raise UnitOutputError("the unit returned NaN/inf near theta while differentiating it numerically")
    return grad, float(np.max(error)), count[0]


def check_vjp(unit, X, theta, rng: np.random.Generator, directions: int = 2) -> tuple[bool, str]:
    """Check ``unit.vjp`` against Richardson extrapolation, on the unit alone (no loss involved).

    For ``directions`` random pairs ``G ~ N(0, 1)^{n x k}``, unit ``v in R^q`` (drawn from ``rng``), compare
    ``vjp(X, theta, G) . v`` with ``D_v s(theta)``, ``s = sum_ij G_ij unit(X, theta)_ij``
    (:func:`~.derivatives.directional_derivative`), accepting
    ``|difference| <= 10 err + 1e3 eps (|s| + |vjp . v| + 1)`` (:func:`~.derivatives.derivative_tolerance`);
    a failed central estimate is retried one-sided (a relu kink inside the stencil, as in
    :func:`~.derivatives.gradient_check`).  Returns ``(passed, message)``.
    """
    X = np.asarray(X, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)
    q = theta.shape[0]
    if q == 0:
        return True, "no parameters"
    worst = (0.0, 0.0, 1.0)   # (ratio, discrepancy, tolerance)
    passed = True
    for _ in range(directions):
        out = np.asarray(unit(X, theta), dtype=np.float64)
        G = rng.normal(size=out.shape)
        v = rng.normal(size=q)
        v /= np.linalg.norm(v)
        analytic = float(np.asarray(unit.vjp(X, theta, G), dtype=np.float64).reshape(-1) @ v)

        def s(th, G=G):
            return float(np.sum(G * np.asarray(unit(X, th), dtype=np.float64)))

        s0 = s(theta)
        best = None
        for side in (0, 1, -1):
            numeric, err = directional_derivative(s, theta, v, step_direction=side)
            tol = derivative_tolerance(err, s0, analytic)
            if best is None or err < best[1]:
                best = (numeric, err, tol)
            if abs(numeric - analytic) <= tol:
                best = (numeric, err, tol)
                break
        numeric, err, tol = best
        gap = abs(numeric - analytic)
        ok = gap <= tol
        passed = passed and ok
        if gap / tol >= worst[0]:
            worst = (gap / tol, gap, tol)
    status = "passed" if passed else "FAILED"
    return passed, (f"vjp check {status}: worst |vjp . v - D_v <G, f_theta(X)>| = {worst[1]:.3e} "
                    f"(tolerance {worst[2]:.3e}) over {directions} random (G, v)")


# -- adapters -------------------------------------------------------------------------------------
class NumpyUnit:
    """A user's NumPy unit in the protocol of :mod:`.networks`.

    ``__call__(X, theta)`` returns the user's output as a float64 array; ``theta0`` is the user's
    ``theta0`` (or ``init(default_rng(0))``); ``init`` is exposed only if the user has one (else the
    search draws ``theta0 + scale N(0, I) / sqrt(q)``); ``vjp`` is the user's, or :func:`numeric_vjp`
    (``vjp_source`` says which; ``numeric_evaluations`` counts the unit evaluations it cost).  The
    user's own ``forward`` (if any) is *not* passed through: it is not part of the user protocol.
    """

    kind = "numpy"

    def __init__(self, obj, name: str = ""):
        self.name = name or type(obj).__name__
        self._obj = obj
        theta0 = getattr(obj, "theta0", None)
        user_init = getattr(obj, "init", None)
        if theta0 is None and user_init is None:
            raise UnitKindError(
                f"{self.name} is callable but has neither a `theta0` attribute (1-D initial parameters) "
                "nor a method `init(rng, scale=1.0)`; a NumPy residual unit needs one of them (for a "
                "plain function: `f.theta0 = np.zeros(q)`)")
        if theta0 is None:
            theta0 = user_init(np.random.default_rng(0))
        try:
            theta0 = np.asarray(theta0, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise UnitKindError(f"{self.name}.theta0 must be a 1-D float array; cannot convert: {exc}") from None
        if theta0.ndim != 1:
            raise UnitKindError(f"{self.name}.theta0 must be 1-D (q,); got shape {theta0.shape}")
        if not np.all(np.isfinite(theta0)):
            raise UnitKindError(f"{self.name}.theta0 has {int(np.sum(~np.isfinite(theta0)))} NaN/inf entries")
        self.theta0 = theta0.copy()
        self.q = theta0.shape[0]
        if user_init is not None:
            if not callable(user_init):
                raise UnitKindError(f"{self.name}.init must be a method init(rng, scale=1.0)")
            self.init = lambda rng, scale=1.0: np.asarray(user_init(rng, scale=scale), dtype=np.float64)
        user_vjp = getattr(obj, "vjp", None)
        if user_vjp is not None and not callable(user_vjp):
            raise UnitKindError(f"{self.name}.vjp must be callable as vjp(X, theta, G)")
        self._user_vjp = user_vjp
        self.vjp_source = "user" if user_vjp is not None else "numeric"
        self.numeric_evaluations = 0
        self.numeric_error = 0.0

    def __call__(self, X, theta) -> np.ndarray:
        return np.asarray(self._obj(X, theta), dtype=np.float64)

    def vjp(self, X, theta, G) -> np.ndarray:
        """``sum_i J_theta(x_i)^T g_i`` (shape ``(q,)``): the user's ``vjp`` or :func:`numeric_vjp`."""
        if self._user_vjp is not None:
            return np.asarray(self._user_vjp(X, theta, G), dtype=np.float64).reshape(-1)
        grad, err, nfev = numeric_vjp(self, X, theta, G)
        self.numeric_evaluations += nfev
        self.numeric_error = max(self.numeric_error, err)
        return grad

    def describe(self) -> str:
        how = "user-supplied vjp" if self.vjp_source == "user" else \
            "no vjp: theta-derivatives by Richardson extrapolation, about 11 q unit calls each"
        return f"NumPy unit {self.name} (q = {self.q}; {how})"


def _torch():
    try:
        import torch
    except ImportError as exc:
        raise UnitKindError("this unit is a PyTorch module but torch is not installed; install the "
                            "extra: pip install 'resnet-lemmas[torch]' (CPU build: pip install "
                            "torch==2.13.0)") from exc
    return torch


def is_torch_module(obj) -> bool:
    """True iff ``obj`` is a ``torch.nn.Module`` (never imports torch: a module instance implies it
    was imported already)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


class TorchUnit:
    """A ``torch.nn.Module`` as a residual unit, in float64.

    The module is deep-copied, converted to float64 and put in ``eval()`` mode (``f_theta`` must be a
    function of ``x``: no dropout, batch-norm with fixed statistics); the user's module is not changed.
    ``theta`` is the flat vector of its parameters in ``module.parameters()`` order (``theta0`` = their
    current values); ``f_theta(X)`` is ``torch.func.functional_call`` with those values, and
    ``vjp``/``forward`` use autograd (one forward pass shared by ``F`` and ``grad_theta F``).
    ``init(rng, scale)`` redraws every weight tensor with at least 2 dimensions as
    ``N(0, scale^2 / fan_in)`` (``fan_in`` = product of its trailing dimensions, LeCun-normal) and
    keeps 1-D tensors (biases, norm scales) at ``theta0 + 0.1 scale N(0, 1)``.
    """

    kind = "torch"
    vjp_source = "autograd"

    def __init__(self, module, name: str = ""):
        torch = _torch()
        self._torch = torch
        self.name = name or type(module).__name__
        try:
            self._module = copy.deepcopy(module).double().eval()
        except Exception as exc:
            raise UnitKindError(f"cannot copy the module {self.name} to float64: {exc}") from exc
        named = list(self._module.named_parameters())
        self._names = [n for n, _ in named]
        self._shapes = [tuple(p.shape) for _, p in named]
        self._sizes = [int(p.numel()) for _, p in named]
        self.q = int(sum(self._sizes))
        with torch.no_grad():
            self.theta0 = np.concatenate(
                [p.detach().reshape(-1).numpy() for _, p in named]) if named else np.zeros(0)
        self.theta0 = np.array(self.theta0, dtype=np.float64)

    def _params(self, theta_t):
        out, pos = {}, 0
        for name, shape, size in zip(self._names, self._shapes, self._sizes):
            out[name] = theta_t[pos:pos + size].reshape(shape)
            pos += size
        return out

    def _run(self, X, theta_t):
        torch = self._torch
        X_t = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float64))
        out = torch.func.functional_call(self._module, self._params(theta_t), (X_t,))
        if not isinstance(out, torch.Tensor):
            raise UnitOutputError(f"the module {self.name} returned {type(out).__name__}; it must return "
                                  "one tensor of shape (n, k)")
        return out

    def _theta(self, theta, requires_grad: bool):
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self.q,):
            raise ValueError(f"theta must have shape (q,) = ({self.q},); got shape {theta.shape}")
        return self._torch.tensor(theta, dtype=self._torch.float64, requires_grad=requires_grad)

    def __call__(self, X, theta) -> np.ndarray:
        with self._torch.no_grad():
            return self._run(X, self._theta(theta, False)).numpy().astype(np.float64, copy=True)

    def forward(self, X, theta):
        """``(f_theta(X) (n, k), pullback)`` with ``pullback(G) = vjp(X, theta, G)`` (one forward pass)."""
        torch = self._torch
        theta_t = self._theta(theta, True)
        with torch.enable_grad():
            out = self._run(X, theta_t)
        values = out.detach().numpy().astype(np.float64, copy=True)

        def pullback(G):
            G = np.asarray(G, dtype=np.float64)
            if G.shape != values.shape:
                raise ValueError(f"G must have shape {values.shape}; got {G.shape}")
            if not out.requires_grad:   # the output does not depend on any parameter
                return np.zeros(self.q)
            (grad,) = torch.autograd.grad(out, theta_t, grad_outputs=torch.from_numpy(G),
                                          retain_graph=True, allow_unused=True)
            return np.zeros(self.q) if grad is None else grad.numpy().astype(np.float64, copy=True)

        return values, pullback

    def vjp(self, X, theta, G) -> np.ndarray:
        """``sum_i J_theta(x_i)^T g_i`` by autograd, shape ``(q,)``."""
        return self.forward(X, theta)[1](G)

    def init(self, rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
        """Random ``theta`` (class docstring); draws only from ``rng``."""
        parts, pos = [], 0
        for shape, size in zip(self._shapes, self._sizes):
            if len(shape) >= 2:
                fan_in = int(np.prod(shape[1:]))
                parts.append(rng.normal(0.0, scale / np.sqrt(max(fan_in, 1)), size=size))
            else:
                parts.append(self.theta0[pos:pos + size] + 0.1 * scale * rng.normal(size=size))
            pos += size
        return np.concatenate(parts) if parts else np.zeros(0)

    def describe(self) -> str:
        return f"PyTorch module {self.name} (q = {self.q}; float64, eval mode, autograd vjp)"


@contextlib.contextmanager
def torch_single_threaded():
    """Limit torch's intra-op threads to one inside (tiny tensors: threads only add hand-off cost, as
    for BLAS in :mod:`._blas`); restores the previous setting.  A no-op when torch is not imported."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def adapt_unit(obj, name: str = ""):
    """Turn ``obj`` into a unit for :class:`~.model.ResNetProblem` (see the module docstring).

    Already adapted units (:class:`NumpyUnit`, :class:`TorchUnit`) are returned unchanged; a class is
    instantiated without arguments; a ``torch.nn.Module`` becomes a :class:`TorchUnit`; any other
    callable with ``theta0``/``init`` a :class:`NumpyUnit`.  Raises :class:`UnitKindError` otherwise.
    """
    if isinstance(obj, (NumpyUnit, TorchUnit)):
        return obj
    name = name or getattr(obj, "__name__", "") or type(obj).__name__
    if isinstance(obj, type):
        try:
            obj = obj()
        except Exception as exc:
            raise UnitKindError(f"{name} is a class; instantiating it without arguments failed "
                                f"({type(exc).__name__}: {exc}); point to an instance instead") from exc
    if is_torch_module(obj):
        return TorchUnit(obj, name)
    if not callable(obj):
        raise UnitKindError(
            f"{name} is a {type(obj).__name__}, not a residual unit: expected a NumPy unit (callable as "
            "unit(X, theta) -> (n, k) with a 1-D `theta0`, optionally `vjp(X, theta, G)`) or a "
            "torch.nn.Module mapping (n, d) to (n, k)")
    return NumpyUnit(obj, name)


def load_unit(spec: str):
    """:func:`adapt_unit` of :func:`load_object` ``(spec)``."""
    return adapt_unit(load_object(spec), name=spec)


def check_unit_output(unit, X) -> int:
    """Evaluate ``unit(X, theta0)`` and return ``k``; raise :class:`UnitOutputError` when the call
    fails, the output is not a 2-D ``(n, k)`` array, or it has NaN/inf entries."""
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    name = getattr(unit, "name", type(unit).__name__)
    try:
        out = unit(X, unit.theta0)
    except UserUnitError:
        raise
    except Exception as exc:
        raise UnitOutputError(f"calling the unit {name} on the data X of shape (n, d) = ({n}, {d}) with "
                              f"its theta0 failed: {type(exc).__name__}: {exc}") from exc
    out = np.asarray(out)
    if out.ndim != 2 or out.shape[0] != n:
        hint = " (for k = 1 return out[:, None])" if out.shape == (n,) else ""
        raise UnitOutputError(f"the unit {name} must map X of shape (n, d) = ({n}, {d}) to an array of "
                              f"shape (n, k); it returned shape {out.shape}{hint}")
    if out.shape[1] < 1:
        raise UnitOutputError(f"the unit {name} returned k = 0 features (shape {out.shape}); need k >= 1")
    try:
        out = out.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise UnitOutputError(f"the unit {name} returned non-numeric output: {exc}") from None
    bad = ~np.isfinite(out)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        raise UnitOutputError(f"the unit {name} returned {int(bad.sum())} NaN/inf entries at theta0 "
                              f"(rows {rows[:5].tolist()}{' ...' if rows.size > 5 else ''})")
    return int(out.shape[1])


__all__ = ["UserUnitError", "UnitImportError", "UnitAttributeError", "UnitKindError", "UnitOutputError",
           "load_object", "load_unit", "adapt_unit", "check_unit_output", "numeric_vjp", "NumpyUnit",
           "TorchUnit", "torch_single_threaded", "is_torch_module", "check_vjp"]
