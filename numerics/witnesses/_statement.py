"""A witness evaluates its lemma's *own* conclusion: the relations of ``LEMMA.conclusion`` compiled by the
bridge (:mod:`resnet_lemmas.bridge`), at values of named quantities that the witness computes
independently (from the data, by extrapolated differences, by certified solvers ...).

Why: a witness that re-codes a relation in NumPy checks its own formula, not the lemma's, so a wrong
formula in a lemma module would be caught by the kernel but never numerically.  Here the bridge computes
both sides of the lemma's relation from the named quantities, the witness attaches the allowances it
derives (certified error bounds), and the harness alone computes the margin.  A claim's label is the
relation as printed (``grad_w F = E[l'(p) x] + V c``), plus a suffix naming the point or the component.

``LEMMA.conclusion`` is the formal statement the kernel must establish (it refuses a proof whose
conclusion differs, :meth:`~resnet_lemmas.proofs.lemma.SymbolicLemma.check`), so the conclusion tuple is
enough: ``LEMMA.theorem()`` is never called here (it would re-run the symbolic proof in every worker
process).  Compiled once per process: the cache is keyed by the conclusion itself (a tuple of SymPy
relations, hashable) and the conclusion is read from the lemma module at every call, so a conclusion
patched by a test compiles anew (:func:`clear_compiled` empties the cache anyway).

Evaluation (:meth:`Conjunct.evaluate`) calls the compiled conjunct's generated NumPy function
(``CompiledStatement.function``) with the bridge's rules: values by SymPy name, a vector as a 1-D array
taken as a column, a missing or non-finite value refused by name (:class:`~resnet_lemmas.bridge.
BridgeError`), a failing evaluation reported with the generated source.  The label is printed once per
conjunct: ``CompiledStatement.relation`` prints it at every call (0.3-0.9 ms for the longer relations,
as much as the rest of a light witness's instance), so this module mirrors that call with the label cached;
``tests/numerics/witnesses/test_witness_statement.py`` checks that both give the same relation on every
conclusion.
"""
from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from resnet_lemmas.bridge import BridgeError, CompiledStatement, Relation, compile_statement, lambdify
from resnet_lemmas.numerics.witnesses.harness import Claim
from resnet_lemmas.proofs.kernel.proof import conclusion_tuple
from resnet_lemmas.proofs.printing import text

LEMMAS_PACKAGE = "resnet_lemmas.proofs.lemmas"
_RELATION_SIGNS = {sp.Eq: "=", sp.Le: "<=", sp.Ge: ">=", sp.StrictLessThan: "<", sp.StrictGreaterThan: ">"}


@dataclass(frozen=True)
class Conjunct:
    """One relation of a lemma's conclusion, compiled: ``statement`` (a one-relation
    :class:`~resnet_lemmas.bridge.CompiledStatement`), its printed ``label`` and its ``relation``
    (``"="``, ``"<="`` ...).  ``names`` are the SymPy names of the quantities it needs."""

    lemma: str
    index: int
    statement: CompiledStatement
    label: str
    relation: str
    #: ``(name, is a matrix, is a column)`` of each argument, in the compiled function's order.
    signature: tuple = field(init=False, repr=False, compare=False)

    @property
    def names(self) -> list[str]:
        return list(self.statement.names)

    def __post_init__(self):
        object.__setattr__(self, "signature", tuple(
            (symbol.name, isinstance(symbol, sp.MatrixSymbol),
             isinstance(symbol, sp.MatrixSymbol) and symbol.shape[1] == 1)
            for symbol in self.statement.symbols))

    def _arguments(self, values) -> list:
        missing = [n for n in self.statement.names if n not in values]
        if missing:
            raise BridgeError(f"{self.lemma}, relation {self.label!r}: values missing for {missing}; it "
                              f"needs {self.statement.names}")
        args = []
        for name, matrix, column in self.signature:
            value = np.asarray(values[name], dtype=np.float64)
            if matrix:
                if value.ndim == 1:
                    value = value.reshape(-1, 1)
                if column and value.shape[1:] != (1,):
                    raise BridgeError(f"{name} is a column vector, got shape {value.shape}")
            if not np.isfinite(value).all():
                raise BridgeError(f"{self.lemma}, relation {self.label!r}: {name} is not finite: {value}")
            args.append(value)
        return args

    def sides(self, values) -> tuple:
        """``(lhs, rhs)`` at ``values`` (name -> number or array): floats for scalar sides, else arrays
        (a column vector ``d x 1`` stays 2-D)."""
        args = self._arguments(values)
        try:
            sides = self.statement.function(*args)
        except Exception as exc:
            raise BridgeError(f"{self.lemma}: evaluating {self.label!r} failed ({type(exc).__name__}: "
                              f"{exc}); generated source:\n{self.statement.source}") from exc
        return tuple(_number_or_array(side) for side in sides)

    def evaluate(self, values) -> Relation:
        """The relation at ``values``, as :meth:`CompiledStatement.relation` returns it."""
        lhs, rhs = self.sides(values)
        return Relation(self.label, lhs, self.relation, rhs)


def _number_or_array(value):
    """A side as the bridge returns it: a float when it has one entry, else a float64 array."""
    if isinstance(value, float):       # Python and NumPy float64 scalars
        return float(value)
    array = np.asarray(value, dtype=np.float64)
    return float(array.reshape(-1)[0]) if array.size == 1 else array


_COMPILED: dict[tuple, tuple[Conjunct, ...]] = {}
_EXPRESSIONS: dict[tuple, object] = {}
_LINEAR: dict[tuple, bool] = {}


def clear_compiled() -> None:
    """Forget every compiled conclusion (tests that patch a lemma's conclusion may call this)."""
    _COMPILED.clear()
    _EXPRESSIONS.clear()
    _LINEAR.clear()


def conclusion(lemma: str) -> tuple:
    """The relations of ``proofs/lemmas/<lemma>.py``'s ``LEMMA.conclusion``, read now (never cached)."""
    module = importlib.import_module(f"{LEMMAS_PACKAGE}.{lemma}")
    return conclusion_tuple(module.LEMMA.conclusion)


def expression(lemma: str, attribute: str, arguments: tuple[str, ...]):
    """A SymPy expression of the lemma module other than its conclusion (the right side of a hypothesis
    the witness must satisfy, e.g. the step ``S_STAR`` of bad_saddle_at_zero), compiled by the bridge once
    per process and expression: a function of the module's quantities named ``arguments`` (module
    attribute names), called positionally (vectors as columns ``d x 1``)."""
    module = importlib.import_module(f"{LEMMAS_PACKAGE}.{lemma}")
    expr = getattr(module, attribute)
    symbols = tuple(getattr(module, name) for name in arguments)
    key = (expr, symbols)
    function = _EXPRESSIONS.get(key)
    if function is None:
        function = _EXPRESSIONS[key] = lambdify(list(symbols), expr)
    return function


def conjuncts(lemma: str, relations: tuple | None = None) -> tuple[Conjunct, ...]:
    """Every relation of the lemma's conclusion, compiled (once per process and conclusion); ``relations``:
    the conclusion itself, when the caller holds the lemma (default: read from its module)."""
    relations = conclusion(lemma) if relations is None else tuple(relations)
    compiled = _COMPILED.get(relations)
    if compiled is None:
        out = []
        for index, relation in enumerate(relations):
            statement = compile_statement((relation,))
            printed = statement.relations[0]
            out.append(Conjunct(lemma, index, statement, text(printed), _RELATION_SIGNS[type(printed)]))
        compiled = _COMPILED[relations] = tuple(out)
    return compiled


def conjunct(lemma: str, index: int) -> Conjunct:
    """Relation ``index`` (0-based, in the order written) of the lemma's conclusion, compiled."""
    compiled = conjuncts(lemma)
    if not 0 <= index < len(compiled):
        raise BridgeError(f"lemma {lemma}: its conclusion has {len(compiled)} relations "
                          f"({[c.label for c in compiled]}); the witness evaluates relation {index}")
    return compiled[index]


def evaluate(lemma: str, index: int, values) -> Relation:
    """Relation ``index`` of the lemma's conclusion evaluated at ``values`` (by SymPy name)."""
    return conjunct(lemma, index).evaluate(values)


def _claim_relation(relation: str) -> str:
    # a numeric witness cannot tell < from <= (an allowance makes every comparison non-strict)
    return {"<": "<=", ">": ">="}.get(relation, relation)


def as_claim(relation: Relation, allowance: dict | None = None, suffix: str = "",
             evaluates: tuple = ()) -> Claim:
    """An evaluated scalar relation (:func:`evaluate`) as a :class:`Claim` with the witness's ``allowance``
    (name -> certified error bound); label: the printed relation + ``suffix``; ``evaluates``: the
    ``(lemma, index)`` it is (set by :func:`claim`)."""
    if np.size(relation.lhs) != 1 or np.size(relation.rhs) != 1:
        raise BridgeError(f"{relation.label!r} compares arrays; use component_claims")
    return Claim(relation.label + suffix, float(relation.lhs), _claim_relation(relation.relation),
                 float(relation.rhs), dict(allowance or {}), evaluates=tuple(evaluates))


def claim(lemma: str, index: int, values, allowance: dict | None = None, suffix: str = "") -> Claim:
    """The scalar relation ``index`` of the lemma's conclusion at ``values`` as a :class:`Claim` with the
    witness's ``allowance`` (name -> certified error bound); label: the printed relation + ``suffix``."""
    return as_claim(evaluate(lemma, index, values), allowance, suffix, evaluates=((lemma, index),))


def _index_text(idx: tuple) -> str:
    return ",".join(map(str, idx))


def component_claims(lemma: str, index: int, values, allowance: dict | None = None,
                     suffix: str = "") -> list[Claim]:
    """Relation ``index`` (vector or matrix sides) at ``values``, one claim per component, labelled
    ``<printed relation><suffix> [i]`` (``[i,j]`` for matrices); each allowance (an array of the
    quantity's shape, or a number) is taken component by component.  A scalar relation gives one claim."""
    rel = evaluate(lemma, index, values)
    lhs, rhs = np.asarray(rel.lhs, dtype=np.float64), np.asarray(rel.rhs, dtype=np.float64)
    shape = np.broadcast_shapes(lhs.shape, rhs.shape)
    lhs, rhs = np.broadcast_to(lhs, shape), np.broadcast_to(rhs, shape)
    if len(shape) == 2 and shape[1] == 1:  # a column vector d x 1 is indexed like the 1-D array it was
        lhs, rhs, shape = lhs[:, 0], rhs[:, 0], (shape[0],)
    allow = {}
    for name, value in (allowance or {}).items():
        value = np.asarray(value, dtype=np.float64)
        allow[name] = value.reshape(shape) if value.size == lhs.size else np.broadcast_to(value, shape)
    relation = _claim_relation(rel.relation)
    out = []
    for idx in np.ndindex(*shape):
        tag = f" [{_index_text(idx)}]" if idx else ""
        out.append(Claim(f"{rel.label}{suffix}{tag}", float(lhs[idx]), relation, float(rhs[idx]),
                         {name: float(v[idx]) for name, v in allow.items()}, evaluates=((lemma, index),)))
    return out


def largest_claim(lemma: str, index: int, values, allowance: dict | None = None, suffix: str = "") -> Claim:
    """Relation ``index`` (an equality, array sides) at ``values`` as one claim ``max_i |lhs_i - rhs_i| <=
    0`` within ``allowance`` (:meth:`Claim.from_relation`), labelled ``<printed relation><suffix>
    (largest component)``: for a relation with one allowance for every component."""
    rel = evaluate(lemma, index, values)
    return dataclasses.replace(Claim.from_relation(rel, allowance, label=f"{rel.label}{suffix} (largest component)"),
                               evaluates=((lemma, index),))


def _linear_in(expr, names: frozenset) -> bool:
    """Whether ``expr`` is homogeneous of degree 1 in the named quantities ``names`` jointly (replacing
    each by twice itself doubles it): then projecting those quantities projects ``expr``.  Decided once
    per expression (a SymPy simplification, about a millisecond)."""
    key = (expr, names)
    if key not in _LINEAR:
        _LINEAR[key] = _homogeneous(expr, names)
    return _LINEAR[key]


def _homogeneous(expr, names: frozenset) -> bool:
    doubled = expr.xreplace({s: 2 * s for s in sp.preorder_traversal(expr)
                             if isinstance(s, (sp.Symbol, sp.MatrixSymbol)) and s.name in names})
    difference = sp.simplify(doubled - 2 * expr)
    return bool(difference == 0 or getattr(difference, "is_ZeroMatrix", False))


def along(lemma: str, index: int, projections, allowance: dict | None = None, suffix: str = "") -> Claim:
    """The vector relation ``index`` projected on a direction ``v``: ``projections`` gives ``v^T X`` for
    *every* named quantity ``X`` of the relation (for a quantity known only along directions, such as a
    gradient in ``theta`` obtained by extrapolated directional derivatives).  Valid only for a relation
    whose sides are linear in those quantities (then ``v^T lhs`` and ``v^T rhs`` are the sides at the
    projected values); that is checked symbolically, and a relation that is not linear is refused."""
    conj = conjunct(lemma, index)
    relation = conj.statement.relations[0]
    names = frozenset(conj.names)
    if set(projections) - names or names - set(projections):
        raise BridgeError(f"{lemma}: {conj.label!r} uses {sorted(names)}; projections given for "
                          f"{sorted(projections)} (every quantity of the relation must be projected)")
    if not all(_linear_in(side, names) for side in (relation.lhs, relation.rhs)):
        raise BridgeError(f"{lemma}: {conj.label!r} is not linear in {sorted(names)}, so it cannot be "
                          "evaluated along a direction")
    values = {name: np.atleast_1d(np.asarray(value, dtype=np.float64)).reshape(1) for name, value
              in projections.items()}
    return claim(lemma, index, values, allowance, suffix)


def coverage(lemma: str, evaluated, unevaluated: dict | None = None, relations: tuple | None = None) -> dict:
    """Which relations of the lemma's conclusion a witness run evaluated.  ``evaluated``: the indices of the
    relations its claims evaluated (``Claim.evaluates``, set only by this module's claim builders: a label
    that quotes a relation it does not test does not count); ``unevaluated``: ``{index: reason}`` for the relations the witness declares it does
    not evaluate (a relation about expectations a run cannot produce ...).  Returns ``{"evaluated": [...],
    "not evaluated": {relation: reason}, "missing": [...]}`` (relations as printed); a declared index that is
    not a relation of the conclusion raises :class:`~resnet_lemmas.bridge.BridgeError`.  ``relations``: as
    :func:`conjuncts`."""
    declared = dict(unevaluated or {})
    compiled = conjuncts(lemma, relations)
    unknown = sorted(set(declared) - set(range(len(compiled))))
    if unknown:
        raise BridgeError(f"lemma {lemma}: the witness declares relations {unknown} not evaluated, but its "
                          f"conclusion has {len(compiled)} relations")
    evaluated = {int(i) for i in evaluated}
    out = {"evaluated": [], "not evaluated": {}, "missing": []}
    for conj in compiled:
        if conj.index in evaluated:
            out["evaluated"].append(conj.label)
        elif conj.index in declared:
            out["not evaluated"][conj.label] = declared[conj.index]
        else:
            out["missing"].append(conj.label)
    return out


def margins(relation: str, lhs, rhs, allowance) -> np.ndarray:
    """The harness's margin (:attr:`Claim.margin`) of ``lhs relation rhs`` at many points at once
    (``-inf`` where a side is not finite)."""
    lhs, rhs, allowance = (np.asarray(a, dtype=np.float64) for a in (lhs, rhs, allowance))
    with np.errstate(invalid="ignore"):
        out = {"<=": rhs - lhs + allowance, "<": rhs - lhs + allowance, ">=": lhs - rhs + allowance,
               ">": lhs - rhs + allowance, "=": allowance - np.abs(lhs - rhs)}[relation]
    return np.where(np.isfinite(lhs) & np.isfinite(rhs), out, -np.inf)
