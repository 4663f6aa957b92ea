"""Contexts: the named quantities' definitions at concrete sizes (trusted: this is what names mean).

A :class:`Context` maps each *named quantity* (``w``, ``V``, ``F``, ``\\nabla_w F`` ... : SymPy symbols
and matrix symbols from :mod:`resnet_lemmas.proofs.expressions`) to an explicit value at concrete sizes
``dims`` (``{d: 2, k: 2, n: 2}``), in real component symbols.  A definition can never be overwritten,
so a name means one thing for the whole life of a context.  ``infima`` records the named infima
(``F_feat -> (objective, variables)``); ``families`` records named lists of explicit objects over which
a hypothesis may quantify (``psi -> [psi_1(x_1), ...]``).

:meth:`Context.instantiate` unfolds names until none is left; hypotheses' equations act as overrides
(a *variable* -- a name defined as plain component symbols -- is substituted component-wise after
unfolding, so quantities computed from the components see it; any other name is replaced by its
value).  :meth:`Context.denominators` lists every denominator met on the way: in the expression as
written, in every definition unfolded and in every override value, *before* anything is substituted
or cancelled -- a division that cancels after a substitution must still be justified.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

import sympy as sp

from .errors import KernelError


def is_name(obj) -> bool:
    """A named quantity: a SymPy symbol or matrix symbol (never an expression)."""
    return isinstance(obj, (sp.Symbol, sp.MatrixSymbol))


def _walk_denominators(expr) -> list:
    """Bases of negative powers, and determinants of inverted matrices, anywhere in ``expr``."""
    found = []
    for node in sp.preorder_traversal(sp.sympify(expr)):
        if isinstance(node, sp.Pow) and node.exp.is_negative:
            found.append(node.base)
        elif isinstance(node, sp.Inverse):
            found.append(sp.Determinant(node.arg))
        elif isinstance(node, sp.MatPow) and sp.sympify(node.exp).is_negative:
            found.append(sp.Determinant(node.base))
    return found


_REAL = sp.Symbol("_real", real=True).assumptions0
_ALLOWED = ({}, {"commutative": True}, _REAL)


def hidden_assumption(value, sizes=()):
    """A symbol or undefined function in ``value`` that carries an assumption beyond ``real`` (which
    SymPy's sign rules would read silently), or ``None``.  ``sizes`` (the context's dimension symbols,
    replaced by integers on instantiation) are exempt."""
    todo = [sp.sympify(value)]
    while todo:
        node = todo.pop()
        if isinstance(node, sp.MatrixSymbol):
            continue  # its shape holds size symbols (d, k, n), not values
        todo.extend(node.args)
        if isinstance(node, sp.Symbol):
            if node in sizes:
                continue
            assumptions = node.assumptions0
        elif isinstance(node, sp.core.function.AppliedUndef):
            assumptions = {"commutative": True, **dict(getattr(node.func, "_kwargs", {}))}
            if assumptions == {"commutative": True, **{k: v for k, v in _REAL.items() if k != "commutative"}}:
                continue
        else:
            continue
        if assumptions not in _ALLOWED:
            return node
    return None


def _matrix_entries(value) -> list:
    return list(value) if isinstance(value, sp.MatrixBase) else [value]


@dataclass
class Context:
    """An instantiation of the named quantities at concrete sizes (see the module docstring)."""

    label: str
    dims: Mapping[sp.Symbol, int]
    definitions: dict = field(default_factory=dict)
    infima: dict = field(default_factory=dict)
    families: dict = field(default_factory=dict)
    loss: object = None
    samples: object = None

    symbolic = False  # a SymbolicContext (sizes.py) has every size symbolic

    # -- building -------------------------------------------------------------------------------
    def define(self, name, value) -> None:
        """Define ``name`` once; a second definition of the same name is refused."""
        if not is_name(name):
            raise KernelError(f"only a named quantity can be defined, not {name!r}")
        if name in self.definitions:
            raise KernelError(f"{name} is already defined in context {self.label}; a definition "
                              "cannot be overwritten")
        if isinstance(name, sp.MatrixSymbol) and not isinstance(value, sp.MatrixBase):
            raise KernelError(f"{name} is a matrix quantity; its definition must be a matrix")
        if isinstance(value, sp.MatrixBase):
            value = sp.ImmutableMatrix(value)
            if isinstance(name, sp.MatrixSymbol):
                expected = tuple(int(sp.sympify(s).xreplace(dict(self.dims))) for s in name.shape)
                if tuple(value.shape) != expected:
                    raise KernelError(f"definition of {name} has shape {value.shape}, expected {expected}")
        else:
            value = sp.sympify(value)
        hidden = hidden_assumption(value, tuple(self.dims))
        if hidden is not None:
            raise KernelError(f"definition of {name} uses {hidden}, which carries an assumption beyond "
                              "'real' (a sign fact must come from a hypothesis a step uses)")
        self.definitions[name] = value

    def define_infimum(self, name, objective, variables: tuple) -> None:
        """``name = inf over variables of objective`` (the variables range over all real values)."""
        if name in self.infima:
            raise KernelError(f"infimum {name} is already defined in context {self.label}")
        for v in variables:
            if not self.is_variable(v):
                raise KernelError(f"infimum {name}: {v} is not a variable of context {self.label}")
        self.infima[name] = (objective, tuple(variables))

    def define_family(self, name: str, members: Iterable) -> None:
        """A named list of explicit objects (tuples of expressions) a hypothesis may quantify over."""
        if name in self.families:
            raise KernelError(f"family {name!r} is already defined in context {self.label}")
        self.families[name] = tuple(tuple(m) if isinstance(m, (tuple, list)) else (m,) for m in members)

    # -- reading --------------------------------------------------------------------------------
    @property
    def sizes(self) -> dict:
        """The concrete sizes, e.g. ``{"d": 2, "k": 2, "n": 3}`` (what a theorem is checked at)."""
        return {str(dim): int(value) for dim, value in self.dims.items()}

    def is_variable(self, name) -> bool:
        """A variable is a name defined as a plain real symbol or a matrix of them."""
        value = self.definitions.get(name)
        if isinstance(value, sp.MatrixBase):
            return all(isinstance(entry, sp.Symbol) for entry in value)
        return isinstance(value, sp.Symbol)

    def components(self, name) -> set:
        """The component symbols of a variable (empty for anything else)."""
        if not self.is_variable(name):
            return set()
        return set(_matrix_entries(self.definitions[name]))

    def _split_overrides(self, overrides: Mapping | None):
        table, component_subs = dict(self.definitions), {}
        for name, value in (overrides or {}).items():
            if self.is_variable(name):
                value = self.instantiate(value)
                base = self.definitions[name]
                if isinstance(base, sp.MatrixBase):
                    value = sp.ImmutableMatrix(value)
                    if value.shape != base.shape:
                        raise KernelError(f"an equation gives {name} shape {value.shape}, expected "
                                          f"{base.shape}")
                    component_subs.update(zip(base, value))
                else:
                    component_subs[base] = value
            else:
                table[name] = value
        return table, component_subs

    def instantiate(self, expr, overrides: Mapping | None = None):
        """Replace named quantities by their definitions until none is left, then evaluate."""
        table, component_subs = self._split_overrides(overrides)
        current = sp.sympify(expr)
        for _ in range(40):
            replaced = current.xreplace(table)
            if replaced == current:
                break
            current = replaced
        else:
            raise KernelError(f"definitions are circular while instantiating {expr}")
        current = current.xreplace(dict(self.dims))
        value = current.doit()
        if isinstance(value, sp.MatrixExpr) and not isinstance(value, sp.MatrixBase):
            value = value.as_explicit()
        if component_subs:
            value = value.xreplace(component_subs).doit()
        return value

    def named_in(self, expr) -> set:
        """Every named quantity ``expr`` unfolds through (transitively, through definitions)."""
        seen, todo = set(), [sp.sympify(expr)]
        while todo:
            item = todo.pop()
            for node in sp.preorder_traversal(item):
                if is_name(node) and node in self.definitions and node not in seen:
                    seen.add(node)
                    todo.append(self.definitions[node])
        return seen

    def denominators(self, expr, overrides: Mapping | None = None) -> list:
        """Explicit denominators met anywhere while instantiating ``expr`` (see the module docstring)."""
        sources = [sp.sympify(expr)]
        for value in (overrides or {}).values():
            sources.append(sp.sympify(value))
        names = set()
        for source in sources:
            names |= self.named_in(source)
        raw = []
        for source in sources:
            raw += [self.instantiate(base) for base in _walk_denominators(source)]
        for name in names:
            for entry in _matrix_entries(self.definitions[name]):
                raw += _walk_denominators(entry)
        out = []
        for base in raw:
            base = sp.sympify(base)
            for factor in sp.Mul.make_args(sp.factor(base)):
                core = factor.base if factor.is_Pow else factor
                if not (core.is_number and core != 0):
                    out.append(core)
        return list(dict.fromkeys(out))
