"""The one bridge from symbols to arrays: SymPy's ``lambdify`` with a strict, tested translation table.

Everything numeric that comes from a symbolic object goes through here: the losses' NumPy kernels
(:func:`lambdify`) and the witnesses' evaluation of a lemma's *own* statement (:func:`compile_statement`:
the very relations the kernel checked, with named quantities as arguments).

Strict: an expression that uses a function with no translation (``ell``, an undefined ``f``) is refused
when it is compiled, naming the function, instead of failing later with a ``NameError``; a compiled
function keeps its generated source (``.source``), which failures show.

Translations (:data:`TRANSLATIONS`, tested against ``evalf`` at random points):
``sigmoid -> scipy.special.expit``, ``softplus -> logaddexp(0, z)``, ``inner(a, b) -> sum(a * b)``
(``a^T b``, or the Frobenius product of matrices), ``norm -> numpy.linalg.norm`` (Euclidean; Frobenius for
matrices), ``opnorm -> numpy.linalg.norm(M, 2)`` (spectral norm).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import sympy as sp
from scipy.special import expit

from .proofs.kernel.proof import conclusion_tuple
from .proofs.printing import text


def _softplus(z):
    return np.logaddexp(0.0, z)


def _inner(a, b):
    return np.sum(np.asarray(a, dtype=float) * np.asarray(b, dtype=float))


def _norm(a):
    return np.linalg.norm(np.asarray(a, dtype=float))


def _opnorm(m):
    m = np.asarray(m, dtype=float)
    return np.linalg.norm(m, 2) if m.ndim == 2 else np.linalg.norm(m)


#: SymPy function name -> NumPy implementation: the only non-NumPy names generated code may call.
TRANSLATIONS = {"sigmoid": expit, "softplus": _softplus, "inner": _inner, "norm": _norm, "opnorm": _opnorm}

#: Functions NumPy's printer translates itself.
_NATIVE = (sp.exp, sp.log, sp.Abs, sp.sign, sp.Min, sp.Max, sp.tanh, sp.cos, sp.sin)


class BridgeError(ValueError):
    """An expression cannot be turned into a NumPy function (an untranslated function, a bad value)."""


def untranslated(expr) -> list[str]:
    """Names of the functions in ``expr`` that have no NumPy translation."""
    out = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Function) and not isinstance(node, _NATIVE):
            name = type(node).__name__
            if name not in TRANSLATIONS:
                out.add(name)
    return sorted(out)


def lambdify(args, expr):
    """``sympy.lambdify`` with :data:`TRANSLATIONS`; refuses untranslated functions by name."""
    missing = untranslated(sp.sympify(expr) if not isinstance(expr, (tuple, list)) else sp.Tuple(*expr))
    if missing:
        raise BridgeError(f"no NumPy translation for {', '.join(missing)} in {sp.sstr(expr)[:200]}")
    # named quantities print under their paper names, which are not identifiers: rename the arguments
    # to plain symbols of the same kind and shape first
    single = not isinstance(args, (tuple, list))
    args = [args] if single else list(args)
    plain = {}
    for i, arg in enumerate(args):
        if isinstance(arg, sp.MatrixSymbol):
            plain[arg] = sp.MatrixSymbol(f"_A{i}", *arg.shape)
        elif isinstance(arg, sp.Symbol):
            plain[arg] = sp.Symbol(f"_a{i}", real=True)
    renamed = [e.xreplace(plain) for e in expr] if isinstance(expr, (tuple, list)) else expr.xreplace(plain)
    new_args = [plain.get(arg, arg) for arg in args]
    return sp.lambdify(new_args[0] if single else new_args, renamed, modules=[TRANSLATIONS, "numpy"])


@dataclass(frozen=True)
class Relation:
    """One relation of a statement evaluated at numbers: ``lhs relation rhs``."""

    label: str
    lhs: float
    relation: str
    rhs: float


_REL = {sp.Eq: "=", sp.Le: "<=", sp.Ge: ">=", sp.StrictLessThan: "<", sp.StrictGreaterThan: ">"}


def _names(expr) -> list:
    """The named quantities of ``expr`` in order of appearance (not the size symbols of their shapes)."""
    out, todo = [], [expr]
    while todo:
        node = todo.pop(0)
        if isinstance(node, (sp.Symbol, sp.MatrixSymbol)):
            if node not in out:
                out.append(node)
            continue
        todo = list(node.args) + todo
    return out


class CompiledStatement:
    """A lemma's relations compiled to NumPy: call it with the named quantities' values.

    ``names`` are the SymPy names it needs (``"F"``, ``"F_feat"``, ``"grad_w"`` ...); a vector quantity
    ``d x 1`` may be given as a 1-D array.  Returns one :class:`Relation` per conjunct, in order.
    """

    def __init__(self, relations, sizes: Mapping | None = None):
        # a zero matrix side is compared as the number 0 (broadcast), so no size is needed for it
        relations = [type(r)(*(sp.Integer(0) if isinstance(side, sp.ZeroMatrix) else side
                               for side in (r.lhs, r.rhs)), evaluate=False) for r in relations]
        self.relations = tuple(relations)
        for r in self.relations:
            if type(r) not in _REL:
                raise BridgeError(f"{r} is not a relation")
        self.symbols = _names(sp.Tuple(*[side for r in self.relations for side in (r.lhs, r.rhs)]))
        self.symbols = [s for s in self.symbols if not (sizes and s in sizes)]
        self.sizes = dict(sizes or {})
        self.names = [s.name for s in self.symbols]
        sides = []
        for r in self.relations:
            sides += [r.lhs, r.rhs]
        sides = [s.xreplace(self.sizes) if self.sizes else s for s in sides]
        self.function = lambdify(self.symbols, sides)
        self.source = inspect.getsource(self.function)
        self._single: dict = {}

    def relation(self, which, values: Mapping) -> Relation:
        """Conjunct ``which`` (its index, or its label as printed) evaluated at ``values``; only the
        names that conjunct uses are needed."""
        if isinstance(which, str):
            labels = [text(r) for r in self.relations]
            if which not in labels:
                raise BridgeError(f"the statement has no relation {which!r}; it has {labels}")
            which = labels.index(which)
        key = ("single", which)
        if key not in self._single:
            self._single[key] = CompiledStatement((self.relations[which],))
        return self._single[key](values)[0]

    def __call__(self, values: Mapping) -> list[Relation]:
        missing = [n for n in self.names if n not in values]
        if missing:
            raise BridgeError(f"values missing for {missing}; the statement needs {self.names}")
        args = []
        for symbol in self.symbols:
            value = np.asarray(values[symbol.name], dtype=float)
            if isinstance(symbol, sp.MatrixSymbol):
                if value.ndim == 1:
                    value = value.reshape(-1, 1)
                rows, cols = symbol.shape
                if cols == 1 and value.shape[1:] != (1,):
                    raise BridgeError(f"{symbol.name} is a column vector, got shape {value.shape}")
            if not np.all(np.isfinite(value)):
                raise BridgeError(f"{symbol.name} is not finite: {value}")
            args.append(value)
        try:
            sides = self.function(*args)
        except Exception as exc:
            raise BridgeError(f"evaluating the statement failed ({type(exc).__name__}: {exc}); "
                              f"generated source:\n{self.source}") from exc
        out = []
        for i, r in enumerate(self.relations):
            lhs, rhs = (float(np.asarray(v, dtype=float).reshape(-1)[0]) if np.size(v) == 1
                        else np.asarray(v, dtype=float) for v in (sides[2 * i], sides[2 * i + 1]))
            out.append(Relation(text(r), lhs, _REL[type(r)], rhs))
        return out


def compile_statement(theorem_or_relations, sizes: Mapping | None = None) -> CompiledStatement:
    """Compile a kernel theorem's conclusion (or a tuple of relations) to NumPy (see the class)."""
    relations = getattr(theorem_or_relations, "conclusion", theorem_or_relations)
    return CompiledStatement(conclusion_tuple(relations), sizes)
