"""Symbolic sizes: a context in which every name means an index expression at *every* size (trusted).

A :class:`SymbolicContext` plays the role of a :class:`~.context.Context` with the sizes ``d, k, n, q,
m`` left symbolic: each named quantity is a :class:`~..indexed.terms.Lam` of the index algebra
(``proofs/indexed``: tensors with typed slots, sums over index ranges, the sample mean as a sum with
coefficient ``1/n``), each variable a tensor, each named infimum ``(objective, variables)``.  The kernel's
rules dispatch on the context: in a symbolic context a step is decided by the index normal form, never by
explicit components, so a step that verifies here holds for every value of every size.

What a step may use (:class:`Symbolic`, built per step from the premises in ``using``):

* equations: a derived name's value replaces its definition; a variable's value is substituted after
  unfolding (so gradients see it); a scalar symbol's value is substituted in the coefficients (its own
  denominators must be nonzero *before* anything cancels);
* nonzero facts: a premise's nonzero declarations (``q != 0``; for a vector ``q^T q != 0``, hence
  ``sqrt(q^T q) != 0``), ``det(G) != 0`` (``G`` invertible), the symbols a :class:`Positive` premise
  declares, and the eigenvariables of :class:`~.rules.LevelSet` behind a premise (``t != 0``);
* telescoping: an identity whose sides differ by ``sum_t (A_t - A_{t+1}) - (A_lo - A_{hi+1})`` for a
  sequence ``A`` the context offers (``proofs/indexed/rules.py``: ``by_telescoping``, valid for every
  ``A`` when ``hi >= lo - 1``), since the normal form does not shift indices;
* the structural sign rule :func:`nonneg` (replacing SymPy's sign rules here): numbers ``>= 0``, sizes
  and premise-declared positive symbols ``> 0``, ``sqrt``, ``opnorm``, Kronecker deltas, squares (a
  factor occurring an even number of times), ``E`` of a nonnegative, products and sums of nonnegatives.
  No symbol's assumption (``positive=True``) is ever read as a fact.

Realness: tensors, Kronecker deltas and the loss atoms are real by the algebra's meaning; :func:`real`
refuses complex coefficients, ``sqrt`` of anything not certified nonnegative, and ``inv``.
"""
from __future__ import annotations

import functools
from collections import Counter

import sympy as sp

from ..indexed.calculus import diff, substitute, substitute_scalar
from ..indexed.matrix import _coefficient, _dims, matrix_lam, translate
from ..indexed.normal_form import (Assume, IdentityFailure, _declared_nonzero, _nonzero_scalar, equal,
                                   expr_key, normal)
from ..indexed.rules import by_telescoping
from ..indexed.stream import at_first_step
from ..indexed.terms import (Delta, Expr, Fn, IndexAlgebraError, Lam, Quotient, Ten, Tensor, as_expr,
                             constant_in, ell, ell_p, expect, index, rename, sqrt, sum_over, zero)
from .context import is_name
from .errors import KernelError

SYMBOLIC_KEY = ("symbolic sizes",)


def _out(expr, prefix="o") -> tuple:
    """One free index per non-unit dimension of the named-level ``expr``."""
    return tuple(index(f"{prefix}{pos}", size) for pos, size in enumerate(_dims(sp.sympify(expr))))


def _shape(expr) -> tuple:
    expr = sp.sympify(expr)
    return tuple(expr.shape) if isinstance(expr, sp.MatrixExpr) else (1, 1)


def _tensors_and_symbols(expr: Expr, sizes) -> set:
    """Tensors (also inside function atoms) and coefficient symbols (not sizes) of an index expression."""
    out = set()
    for term in expr.terms:
        out |= {s for s in term.coef.free_symbols if s not in sizes}
        for f in term.factors:
            if isinstance(f, Ten):
                out.add(f.tensor)
            elif isinstance(f, Fn):
                for lam in f.lams:
                    out |= _tensors_and_symbols(lam.body, sizes)
    return out


class SymbolicContext:
    """Named quantities as index expressions at symbolic sizes (see the module docstring)."""

    symbolic = True
    loss = None
    samples = None
    stream = None    # a :class:`~..indexed.stream.Stream`: the randomness of E (the model's, trusted)

    def __init__(self, label: str, dims):
        self.label, self.dims = label, tuple(dims)
        self.definitions: dict = {}
        self.variables: dict = {}
        self.infima: dict = {}
        self.families: dict = {}
        self.pairs: dict = {}
        self.size_names: dict = {}   # scalar names that *are* a size (the horizon T_steps -> T)
        self.sequences: list = []    # telescoping sequences (A, t) an identity may be an instance of

    @property
    def sizes(self) -> str:
        return "all"

    # -- building -------------------------------------------------------------------------------
    def define(self, name, value: Lam) -> None:
        """``name`` means ``value`` (one bound index per non-unit dimension); never overwritten."""
        if not is_name(name):
            raise KernelError(f"only a named quantity can be defined, not {name!r}")
        if name in self.definitions:
            raise KernelError(f"{name} is already defined in context {self.label}; a definition "
                              "cannot be overwritten")
        if not isinstance(value, Lam) or value.free:
            raise KernelError(f"definition of {name} must be a closed index function (Lam)")
        # a named scalar is either defined or a coefficient symbol of other definitions, never both
        # (it would mean two things at once)
        used = set().union(*(_tensors_and_symbols(lam.body, self.dims) for lam in self._lams()))
        if name in used or any(s in self.definitions or s in self.infima
                               for s in _tensors_and_symbols(value.body, self.dims)):
            raise KernelError(f"{name} is both defined and used as a coefficient symbol in context "
                              f"{self.label}")
        dims = _dims(name)
        if len(value.bound) != len(dims) or any((b.lower, b.upper) != (0, s - 1)
                                                for b, s in zip(value.bound, dims)):
            raise KernelError(f"definition of {name} binds {value.bound}, expected one index per "
                              f"dimension {dims}")
        self.definitions[name] = value

    def define_variable(self, name, tensor: Tensor) -> None:
        """A variable: ``name[args] = tensor[args]`` (the comparator and parameter tensors)."""
        if tuple(tensor.slots) != tuple(_dims(name)):
            raise KernelError(f"variable {name} has dimensions {_dims(name)}, tensor {tensor.slots}")
        bound = _out(name, "v")
        self.define(name, Lam(bound, tensor[bound]))
        self.variables[name] = tensor

    def define_infimum(self, name, objective, variables: tuple) -> None:
        if name in self.infima:
            raise KernelError(f"infimum {name} is already defined in context {self.label}")
        if name in set().union(*(_tensors_and_symbols(lam.body, self.dims) for lam in self._lams())):
            raise KernelError(f"{name} is both an infimum and a coefficient symbol in context {self.label}")
        for v in variables:
            if v not in self.variables:
                raise KernelError(f"infimum {name}: {v} is not a variable of context {self.label}")
        self.infima[name] = (objective, tuple(variables))

    def define_size(self, name, size) -> None:
        """The scalar quantity ``name`` is the size ``size`` (e.g. the horizon ``T``)."""
        if name in self.definitions or name in self.size_names or size not in self.dims:
            raise KernelError(f"{name} cannot be defined as the size {size} in context {self.label}")
        self.size_names[name] = size

    def define_sequence(self, sequence: Lam, t) -> None:
        """``A = (s) -> A_s`` and the range of ``t``: an identity whose sides differ by
        ``sum_t (A_t - A_{t+1}) - (A_lo - A_{hi+1})`` holds by telescoping (the rule checks it for the
        given ``A``, which is therefore not trusted)."""
        self.sequences.append((sequence, t))

    def define_family(self, label: str, step, members: tuple) -> None:
        """The family ``label`` at symbolic sizes: one member per value of the step index ``step`` (and
        per stream), a tuple of :class:`Lam` (one per placeholder of the hypotheses over it) whose only
        free index is ``step``.  Part of the model, like a definition: every such value is an instance."""
        if label in self.families:
            raise KernelError(f"family {label!r} is already defined in context {self.label}")
        for lam in members:
            if not isinstance(lam, Lam) or not lam.free <= {step}:
                raise KernelError(f"family {label!r}: a member must be a Lam free in the step {step} only")
            if any(s in self.definitions or s in self.infima
                   for s in _tensors_and_symbols(lam.body, self.dims)):
                raise KernelError(f"family {label!r}: a member uses a defined name as a coefficient")
        self.families[label] = (step, tuple(members))

    def _lams(self):
        yield from self.definitions.values()
        for _, members in self.families.values():
            yield from members

    def is_deterministic(self, name, seen=frozenset()) -> bool:
        """``name`` means something the stream does not make random: every tensor of its definition (or
        of an infimum's objective, its own variables aside) deterministic or predictable at the first
        step, and so, recursively, every name among its coefficients; true without a stream."""
        if self.stream is None or name in seen:
            return True
        stream, seen = self.stream, seen | {name}
        fixed, predictable, _ = stream._keys
        if name in self.infima:
            objective, variables = self.infima[name]
            bound = {self.variables[v].key for v in variables}
            body = self.translate(objective).num
        elif name in self.definitions:
            bound, body = set(), self.definitions[name].body
        else:
            return True
        todo = [body]
        while todo:
            for term in todo.pop().terms:
                if not all(self.is_deterministic(s, seen) for s in term.coef.free_symbols - set(self.dims)):
                    return False
                for f in term.factors:
                    if isinstance(f, Ten) and f.tensor.key not in fixed | bound and not (
                            f.tensor.key in predictable and at_first_step(f.args[0], stream)):
                        return False
                    if isinstance(f, Fn):
                        todo += [lam.body for lam in f.lams]
        return True

    def family_components(self, label) -> set:
        """The tensors and coefficient symbols the members of a family mention (refused if undefined)."""
        if label not in self.families:
            raise KernelError(f"context {self.label} has no family {label!r}")
        out = set()
        for lam in self.families[label][1]:
            out |= _tensors_and_symbols(lam.body, self.dims)
        return out

    def define_pairs(self, pairs, triple) -> None:
        """The Bregman pairs that ``pairs`` (a concrete context's callable) lists, at symbolic sizes:
        ``triple()`` returns ``(q, p, y, expectation)``, index expressions with the same free indices
        (the atom takes the mean over them).  Untrusted: the atom checks its value against them."""
        self.pairs[pairs] = triple

    # -- reading --------------------------------------------------------------------------------
    def is_variable(self, name) -> bool:
        return name in self.variables

    def components(self, name) -> set:
        return {self.variables[name]} if name in self.variables else set()

    def instantiate(self, expr, overrides=None):
        raise KernelError(f"{self.label}: a rule without a symbolic-size check asked for explicit "
                          "components")

    def unfolder(self, overrides=None) -> "Unfolder":
        return Unfolder(self, overrides or {})

    def translate(self, expr, out=()) -> Quotient:
        return self.unfolder().quotient(expr, out)

    def free_components(self, expr) -> set:
        """What ``expr`` says something about: the tensors its names unfold to, coefficient symbols,
        and names without a definition (infima, opaque names) -- the symbolic ``mentions``."""
        out, todo = set(), [sp.sympify(expr)]
        while todo:
            node = todo.pop()
            if is_name(node):
                if node in self.definitions:
                    out |= _tensors_and_symbols(self.definitions[node].body, self.dims)
                else:
                    out.add(node)
                continue
            if isinstance(node, sp.Symbol):
                if node not in self.dims:
                    out.add(node)
                continue
            todo.extend(node.args)
        return out

    def meaning(self, name) -> object:
        """A key equal for two contexts iff ``name`` means the same there (normal form of its
        definition, or of an infimum's objective and its variables)."""
        if name in self.infima:
            objective, variables = self.infima[name]
            # the objective's own normal form (an expression objective has no name to look up)
            return (expr_key(self.translate(objective, _out(objective)).num),
                    tuple(str(v) for v in variables),
                    tuple(sorted((str(s), self.meaning(s)) for s in self.free_components(objective)
                                 if s in self.infima and s != name)))
        if name in self.size_names:
            return ("size", str(self.size_names[name]))
        if name not in self.definitions:
            return None
        key = expr_key(self.translate(name, _out(name)).num)
        # under another stream (which tensors are random, and how) a name means something else
        return key if self.stream is None else (key, repr(self.stream))


def _coefficient_denominators(expr) -> set:
    """The non-numeric factors of every coefficient's denominator in an index expression, also inside
    function atoms' arguments."""
    out, todo = set(), [expr]
    while todo:
        item = todo.pop()
        for term in getattr(item, "terms", ()):
            for factor in sp.Mul.make_args(sp.factor(sp.denom(sp.together(term.coef)))):
                base = factor.base if factor.is_Pow else factor
                if not base.is_number:
                    out.add(base)
            for f in term.factors:
                todo += [lam.body for lam in getattr(f, "lams", ())]
    return out


class Unfolder:
    """Named expressions into index expressions under one step's premises' equations."""

    def __init__(self, ctx: SymbolicContext, overrides):
        self.ctx, self.table = ctx, dict(ctx.definitions)
        self.substitutions, self.coefficients, self.pending = [], {}, []
        self._require = None  # set by symbolic_parts once the step's nonzero facts are known
        for name, value in overrides.items():
            value = sp.sympify(value).xreplace(ctx.size_names)
            if name in ctx.variables:
                self.substitutions.append((ctx.variables[name], self.lam(value, base=True)))
            elif isinstance(name, sp.Symbol) and name not in ctx.definitions \
                    and name not in ctx.infima and _coefficient(value, self.table):
                # a coefficient (a step size): its own denominators must be nonzero before anything
                # cancels in the coefficients it is substituted into
                for factor in sp.Mul.make_args(sp.factor(sp.denom(sp.together(value)))):
                    base = factor.base if factor.is_Pow else factor
                    if not base.is_number:
                        self.pending.append(base)
                self.coefficients[name] = value
            else:
                lam = self.lam(value, base=True)
                if len(lam.bound) != len(_dims(name)):
                    raise KernelError(f"a premise gives {name} a value of another shape")
                self.table[name] = lam

    def require_nonzero(self, check) -> None:
        """From now on every denominator met is passed to ``check`` (which raises if it may vanish);
        those met so far are checked at once."""
        self._require = check
        for base in list(self.pending):
            check(base)

    def lam(self, expr, base=False) -> Lam:
        table = self.ctx.definitions if base else self.table
        try:
            value = matrix_lam(expr, table)
        except IndexAlgebraError as exc:
            raise KernelError(f"{self.ctx.label}: {exc}") from None
        return value if base else Lam(value.bound, self._apply(value.body))

    def _apply(self, part: Expr) -> Expr:
        for tensor, lam in self.substitutions:
            part = substitute(part, tensor, lam)
        for symbol, value in self.coefficients.items():
            part = substitute_scalar(part, symbol, value)
        return part

    def quotient(self, expr, out=()) -> Quotient:
        expr = sp.sympify(expr).xreplace(self.ctx.size_names)
        # a definition's coefficient denominators (``Q = 1/s``) must be nonzero before anything
        # cancels when it is multiplied out (``s Q`` folds to 1 in the coefficients)
        for node in sp.preorder_traversal(expr):
            if is_name(node) and node in self.table:
                for base in _coefficient_denominators(self.table[node].body):
                    if base not in self.pending:
                        self.pending.append(base)
                        if self._require is not None:
                            self._require(base)
        value = translate(expr, self.table, tuple(out))
        return Quotient(self._apply(value.num), tuple(self._apply(den) for den in value.dens))

    def expr(self, expr, out=()) -> Expr:
        """An index expression without denominators (refused otherwise)."""
        value = self.quotient(expr, out)
        if value.dens:
            raise KernelError(f"{sp.sstr(expr)[:80]} has a denominator where none is allowed")
        return value.num


# ------------------------------------------------------------------------------------------------
# One step in a symbolic context
# ------------------------------------------------------------------------------------------------
def symbolic_parts(env):
    """``(unfolder, Assume, positive symbols)`` of a step, cached on its :class:`~.env.Env`."""
    if getattr(env, "_symbolic", None) is None:
        ctx = env.ctx
        unfold = ctx.unfolder(env.overrides)
        nonzero, invertible, positive = [], [], set()
        for premise in env.premises:
            for declared in premise.nonzero():
                if isinstance(declared, sp.Determinant):
                    invertible.append(unfold.lam(declared.arg))
                    continue
                value = unfold.expr(declared)
                nonzero += [value, sqrt(value)]  # sqrt(S) = 0 only if S = 0
            for s in premise.positive():
                if isinstance(s, sp.Symbol) and s not in ctx.definitions:
                    positive.add(s)
                    nonzero.append(as_expr(s))
            nonzero += [as_expr(t) for t in premise.eigen]  # a level-set parameter is nonzero
        assume = Assume(tuple(nonzero), tuple(invertible), ctx.stream)

        def check(base, assume=assume, label=ctx.label):
            if not (_nonzero_scalar(base, assume) or _declared_nonzero(as_expr(base), assume)):
                raise KernelError(f"a definition or a premise's value divides by {base}, which no "
                                  f"premise in use declares nonzero at {label}")

        unfold.require_nonzero(check)
        env._symbolic = (unfold, assume, frozenset(positive))
    return env._symbolic


def _guard(fn):
    """Index-algebra refusals become kernel errors naming the symbolic context."""
    @functools.wraps(fn)
    def wrapper(env, *args, **kwargs):
        try:
            return fn(env, *args, **kwargs)
        except IndexAlgebraError as exc:
            raise KernelError(f"at {env.ctx.label}: {exc}") from None
    return wrapper


@_guard
def identity(env, lhs, rhs) -> str:
    """``lhs = rhs`` by the index normal form under the step's premises."""
    if _shape(lhs) != _shape(rhs):
        raise KernelError(f"shapes {_shape(lhs)} and {_shape(rhs)} differ")
    unfold, assume, _ = symbolic_parts(env)
    for base in unfold.pending:
        if not (_nonzero_scalar(base, assume) or _declared_nonzero(as_expr(base), assume)):
            raise KernelError(f"a premise's value divides by {base}, which no premise in use declares "
                              f"nonzero at {env.ctx.label}")
    out = _out(lhs)
    left, right = unfold.quotient(lhs, out), unfold.quotient(rhs, out)
    try:
        how = equal(left, right, assume)
    except IdentityFailure:
        for sequence, t in env.ctx.sequences:  # sum_t (A_t - A_{t+1}) = A_lo - A_{hi+1}, for any A
            try:
                return f"{by_telescoping(left, right, sequence, t, assume)} at {env.ctx.label}"
            except IndexAlgebraError:
                continue
        raise
    return f"{how} at {env.ctx.label}"


def _size_positive(env) -> dict:
    _, _, positive = symbolic_parts(env)
    return {s: sp.Dummy(s.name, positive=True) for s in set(env.ctx.dims) | set(positive)}


def _coef_sign(coef, table, test) -> bool:
    """``test`` on ``coef`` with sizes and declared-positive symbols positive, every other symbol a
    plain real (its SymPy assumptions are not read)."""
    coef = sp.sympify(coef)
    plain = {s: table.get(s) or sp.Dummy(s.name, real=True) for s in coef.free_symbols}
    return test(coef.xreplace(plain)) is True


def _nonneg_expr(expr: Expr, table) -> bool:
    for term in expr.terms:
        if not _coef_sign(term.coef, table, lambda c: c.is_nonnegative):
            return False
        unpaired = Counter(f for f in term.factors if not _nonneg_factor(f, table))
        if any(count % 2 for count in unpaired.values()):
            return False  # a real factor to an odd power
    return True


def _nonneg_factor(f, table) -> bool:
    if isinstance(f, Delta):
        return True
    if isinstance(f, Fn) and f.name == "opnorm":
        return _real_expr(f.lams[0].body, table)
    if isinstance(f, Fn) and f.name in ("sqrt", "expect"):
        return _nonneg_expr(f.lams[0].body, table)  # sqrt of a nonnegative; E is monotone
    return False


def _real_expr(expr: Expr, table) -> bool:
    for term in expr.terms:
        if not _coef_sign(term.coef, table, lambda c: c.is_real):
            return False
        for f in term.factors:
            if isinstance(f, Fn):
                if f.name == "sqrt":
                    if not _nonneg_expr(f.lams[0].body, table):
                        return False
                elif f.name not in ("ell", "ell_p", "ell_pp", "opnorm", "expect"):
                    return False
                if not all(_real_expr(lam.body, table) for lam in f.lams):
                    return False
    return True


@_guard
def nonneg(env, expr) -> str | None:
    """The structural sign rule on ``expr`` (module docstring); ``None`` is not a proof of the opposite."""
    if _named_nonneg(env, sp.sympify(expr)):
        return f"{sp.sstr(expr)[:80]} >= 0 (structural sign rule at {env.ctx.label})"
    return None


def _named_nonneg(env, expr) -> bool:
    """At the named level first: norms and squared norms of real vectors, ``opnorm`` of a real matrix,
    even powers of reals, products, sums and positive powers of nonnegatives, a nonnegative divided by a
    declared nonzero nonnegative; anything else by :func:`_nonneg_expr` on its index form."""
    from ..linalg import inner, norm, opnorm

    if isinstance(expr, (norm, opnorm)) or (isinstance(expr, inner) and expr.args[0] == expr.args[1]):
        return _is_real(env, expr.args[0])
    if isinstance(expr, (sp.Mul, sp.Add)):
        return all(_named_nonneg(env, arg) for arg in expr.args)
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer:
        if expr.exp % 2 == 0:
            return _is_real(env, expr.base) and (expr.exp > 0 or _is_nonzero(env, expr.base))
        return _named_nonneg(env, expr.base) and (expr.exp > 0 or _is_nonzero(env, expr.base))
    unfold, assume, _ = symbolic_parts(env)
    value, table = unfold.quotient(expr), _size_positive(env)
    return not value.dens and _nonneg_expr(normal(value.num, assume), table)


def _is_real(env, expr) -> bool:
    try:
        value = symbolic_parts(env)[0].expr(expr, _out(expr))
    except KernelError:
        return False
    return _real_expr(value, _size_positive(env))


def _is_nonzero(env, expr) -> bool:
    unfold, assume, _ = symbolic_parts(env)
    return _declared_nonzero(unfold.expr(expr), assume)


@_guard
def require_real(env, expr, what: str) -> Expr:
    unfold, assume, _ = symbolic_parts(env)
    value = unfold.expr(expr, _out(expr))
    if not _real_expr(value, _size_positive(env)):
        raise KernelError(f"{what}: {sp.sstr(expr)[:120]} is not known to be real at {env.ctx.label}")
    return value


@_guard
def require_nonzero(env, expr, what: str) -> None:
    if not _is_nonzero(env, expr):
        raise KernelError(f"{what}: {sp.sstr(expr)[:120]} is not declared nonzero by a premise in use "
                          f"at {env.ctx.label}")


# ------------------------------------------------------------------------------------------------
# Rules at symbolic sizes
# ------------------------------------------------------------------------------------------------
@_guard
def restriction(env, big, small, fixed) -> None:
    """``inf_{all} G <= inf_{rest} G|_{fixed = 0}``: the big objective at ``fixed = 0`` is the small one."""
    ctx = env.ctx
    unfold = ctx.unfolder()
    value = unfold.expr(big)
    for v in fixed:
        tensor = ctx.variables[v]
        bound = _out(v, "z")
        value = substitute(value, tensor, Lam(bound, zero(*bound)))
    equal(value, unfold.expr(small))


@_guard
def definiteness(env, z, claimed) -> None:
    ctx = env.ctx
    _zero_claim(ctx, claimed)
    value = ctx.unfolder().expr(z, _out(z))
    if not _real_expr(value, {s: sp.Dummy(s.name, positive=True) for s in ctx.dims}):
        raise KernelError(f"definiteness at {ctx.label}: {z} is not known to be real")


def _zero_claim(ctx, rhs) -> None:
    if normal(ctx.unfolder().expr(rhs, _out(rhs))).terms:
        raise KernelError(f"the claimed zero {rhs} is not zero at {ctx.label}")


@_guard
def first_order(env, lhs, rhs, hyp, variable) -> None:
    """The named gradient ``lhs`` is the algebra's derivative of the objective in ``variable``."""
    ctx = env.ctx
    _zero_claim(ctx, rhs)
    tensor, out = ctx.variables[variable], _out(variable)
    objective = ctx.unfolder().expr(hyp.objective)
    equal(ctx.unfolder().expr(lhs, out), diff(objective, tensor, *out))


def _moved(ctx, expr: Expr, values: dict) -> Expr:
    """``expr`` with every variable tensor replaced by ``values[tensor]`` *simultaneously* (each first
    becomes a fresh copy, so a value that mentions another variable is not substituted again)."""
    copies = {}
    for tensor in values:
        copy = Tensor(f"{tensor.name}'", tensor.slots)
        bound = tuple(index(f"s{pos}", s) for pos, s in enumerate(tensor.slots))
        expr = substitute(expr, tensor, Lam(bound, copy[bound]))
        copies[copy] = values[tensor]
    for copy, lam in copies.items():
        expr = substitute(expr, copy, lam)
    return expr


def _atom_arguments(expr: Expr) -> set:
    out = set()
    for term in expr.terms:
        for f in term.factors:
            if isinstance(f, Fn):
                for lam in f.lams:
                    out |= {s for t in lam.body.terms for s in t.coef.free_symbols}
                    out |= _atom_arguments(lam.body)
    return out


@_guard
def level_set(env, lhs, rhs, hyp, just) -> None:
    """The path ``P(t)`` through the local minimum (point under the step's premises): polynomial in
    ``t`` (``t`` in no function atom's argument), the objective constant along it, and ``lhs`` the
    gradient in ``just.variable`` along it."""
    ctx, t = env.ctx, just.parameter
    _zero_claim(ctx, rhs)
    unfold, _, _ = symbolic_parts(env)
    objective = ctx.unfolder().expr(hyp.objective)
    if t in _tensors_and_symbols(objective, ctx.dims):
        raise KernelError(f"the path parameter {t} is not fresh: the objective mentions it")
    path = dict(just.path)
    here, there = {}, {}
    for v in hyp.variables:
        tensor = ctx.variables[v]
        here[tensor] = unfold.lam(v)
        there[tensor] = unfold.lam(path[v]) if v in path else here[tensor]
        start = Lam(there[tensor].bound, substitute_scalar(there[tensor].body, t, 0))
        bound = there[tensor].bound
        equal(start(*bound), here[tensor](*bound))
        if t in _atom_arguments(there[tensor].body) or not all(
                term.coef.is_polynomial(t) for term in there[tensor].body.terms):
            raise KernelError(f"the path in {v} is not polynomial (continuous) in {t}")
    equal(_moved(ctx, objective, there), _moved(ctx, objective, here))
    out = _out(just.variable)
    gradient = diff(objective, ctx.variables[just.variable], *out)
    equal(ctx.unfolder().expr(lhs, out), _moved(ctx, gradient, there))


# ------------------------------------------------------------------------------------------------
# Atoms at symbolic sizes (each atom module states the soundness argument)
# ------------------------------------------------------------------------------------------------
@_guard
def bregman_mean(env, value, pairs) -> None:
    """``value`` is the mean, over the free indices of ``(q, p, y)`` (and under ``E`` if asked), of
    ``l(q; y) - l(p; y) - l'(p; y) (q - p)``, with ``q, p, y`` real."""
    ctx = env.ctx
    if pairs not in ctx.pairs:
        raise KernelError(f"no Bregman pairs at {ctx.label} for this atom")
    q, p, y, expectation = ctx.pairs[pairs]()
    table = _size_positive(env)
    for part in (q, p, y):
        if not _real_expr(part, table):
            raise KernelError(f"Bregman atom: a pair is not known to be real at {ctx.label}")
    divergence = ell(q, y) - ell(p, y) - ell_p(p, y) * (q - p)
    free = sorted(divergence.free, key=str)
    count = sp.Mul(*[idx.upper - idx.lower + 1 for idx in free])
    mean = sum_over(divergence, *free) * (1 / count) if free else divergence
    unfold, assume, _ = symbolic_parts(env)
    try:
        equal(unfold.quotient(value), expect(mean) if expectation else mean, assume)
    except IndexAlgebraError as exc:
        raise KernelError(f"Bregman atom at {ctx.label} is not the mean of divergences: {exc}") from None


_LAGRANGE: set = set()


@_guard
def lagrange(env, a, b) -> None:
    """Lagrange's identity on fresh tensors of the shape of ``a`` (checked once per shape)."""
    if _shape(a) != _shape(b):
        raise KernelError(f"Cauchy-Schwarz atom: shapes {_shape(a)} and {_shape(b)} differ")
    require_real(env, a, "Cauchy-Schwarz atom")
    require_real(env, b, "Cauchy-Schwarz atom")
    slots = tuple(_dims(a))
    if slots in _LAGRANGE:
        return
    A, B = Tensor("lagrange_a", slots), Tensor("lagrange_b", slots)
    first = tuple(index(f"p{pos}", s) for pos, s in enumerate(slots))
    second = tuple(index(f"q{pos}", s) for pos, s in enumerate(slots))
    square = lambda X, Y: sum_over(X[first] * Y[first], *first)  # noqa: E731
    cross = A[first] * B[second] - A[second] * B[first]
    lhs = square(A, A) * square(B, B) - square(A, B) * square(A, B)
    equal(lhs, sum_over(cross * cross, *first, *second) * sp.Rational(1, 2))
    _LAGRANGE.add(slots)


@_guard
def operator_norm(env, M, z) -> None:
    if _shape(M)[1] != _shape(z)[0] or len(_dims(M)) != 2:
        raise KernelError(f"operator-norm atom: {M} times {z} is not defined")
    require_real(env, M, "operator-norm atom")
    require_real(env, z, "operator-norm atom")


@_guard
def infimum_gap(env, value, infimum, point: dict) -> None:
    ctx = env.ctx
    objective, _ = ctx.infima[infimum]
    unfold, assume, _ = symbolic_parts(env)
    for v, e in point.items():
        require_real(env, e, "infimum atom point")
    from .atoms.infimum import kept_overrides
    _, variables = ctx.infima[infimum]
    at_point = ctx.unfolder({**kept_overrides(ctx, env.overrides, variables), **point}).quotient(objective)
    equal(unfold.quotient(value), at_point, assume)


@_guard
def declared(env, value, gap) -> None:
    unfold, assume, _ = symbolic_parts(env)
    equal(unfold.quotient(value), unfold.quotient(gap), assume)


def require_defined_real(ctx, name, what: str) -> None:
    """``name``'s definition in the symbolic context ``ctx`` is real (the algebra's realness rule)."""
    if not _real_expr(ctx.definitions[name].body, {s: sp.Dummy(s.name, positive=True) for s in ctx.dims}):
        raise KernelError(f"{what}: {name} is not known to be real at {ctx.label}")


# ------------------------------------------------------------------------------------------------
# Pathwise atoms (atoms/pathwise.py): what holds on every stream at every step
# ------------------------------------------------------------------------------------------------
def step_of(env, indices):
    """The step index of a pathwise sum: its first summed index (``None`` without one)."""
    for idx in indices:
        if not isinstance(idx, sp.Idx):
            raise KernelError(f"pathwise sum over {idx}, which is not an index")
    return indices[0] if indices else None


def _members(env, family, step) -> tuple:
    """The family's members at ``step`` (the context's step index renamed to it)."""
    ctx = env.ctx
    if family not in ctx.families:
        raise KernelError(f"context {ctx.label} has no family {family!r}")
    own, members = ctx.families[family]
    if step is None or (step.lower, step.upper) != (own.lower, own.upper):
        raise KernelError(f"family {family!r} runs over {own.lower}..{own.upper}; the pathwise sum "
                          f"must sum over the same steps")
    return tuple(Lam(lam.bound, rename(lam.body, {own: step})) for lam in members)


@_guard
def family_instance(env, family, placeholders, gap, step) -> Expr:
    """``gap`` (a named-level expression in ``placeholders``) at the family's member at ``step``."""
    members = _members(env, family, step)
    if len(members) != len(placeholders):
        raise KernelError(f"family {family!r} has {len(members)} placeholders here, the bound "
                          f"{len(placeholders)}")
    unfold = symbolic_parts(env)[0]
    ctx = env.ctx
    for name in placeholders:   # a placeholder is bound by the template: it must not mean anything here
        if (name in ctx.size_names or name in ctx.definitions or name in ctx.infima
                or name in env.overrides or name in ctx.dims):
            raise KernelError(f"family bound {family!r}: placeholder {name} is already a name of "
                              f"context {ctx.label}")
    table = dict(unfold.table)
    for name, lam in zip(placeholders, members):
        if len(lam.bound) != len(_dims(name)):
            raise KernelError(f"family {family!r}: a member does not have the shape of {name}")
        table[name] = lam
    value = translate(sp.sympify(gap).xreplace(env.ctx.size_names), table, ())
    if value.dens:
        raise KernelError(f"family bound {family!r}: an instance with a denominator")
    return unfold._apply(value.num)


@_guard
def projection_gain(env, premise, z_star, step) -> Expr:
    """``||y_t - z*||^2 - ||next_t - z*||^2`` for the projection family's member ``(rho, y, next)``."""
    rho, y, nxt = _projection_member(env, premise, step)
    zs = symbolic_parts(env)[0].lam(z_star)
    (e,) = y.bound
    z = constant_in(zs(e), step)
    return sum_over((y(e) - z) * (y(e) - z), e) - sum_over((nxt(e) - z) * (nxt(e) - z), e)


def _projection_member(env, premise, step):
    members = _members(env, premise.family, step)
    if len(members) != 3 or len(members[0].bound) != 0 or len(members[1].bound) != 1 \
            or members[1].bound[0] != members[2].bound[0]:
        raise KernelError(f"projection family {premise.family!r} needs members (rho, y, next)")
    table = _size_positive(env)
    if not all(_real_expr(lam.body, table) for lam in members):
        raise KernelError(f"projection family {premise.family!r}: a member is not known to be real")
    return members


_PROJECTION: set = set()


@_guard
def projection_algebra(env, premise, z_star) -> None:
    """``||y - z||^2 - ||rho y - z||^2 = ||y - rho y||^2 + 2 (1 - rho)(rho ||y||^2 - y^T z)`` on fresh
    tensors of the comparator's shape (once per shape), and Lagrange's identity there."""
    require_real(env, z_star, "projection gain")
    slots = tuple(_dims(z_star))
    if len(slots) != 1:
        raise KernelError(f"projection gain: the comparator {z_star} is not a vector")
    lagrange(env, z_star, z_star)
    if slots in _PROJECTION:
        return
    Y, Z = Tensor("proj_y", slots), Tensor("proj_z", slots)
    rho = sp.Symbol("proj_rho", real=True)
    e = index("pe", slots[0])
    sq = lambda v: sum_over(v * v, e)  # noqa: E731
    lhs = sq(Y[e] - Z[e]) - sq(rho * Y[e] - Z[e])
    rhs = sq(Y[e] - rho * Y[e]) + 2 * (1 - rho) * (rho * sq(Y[e]) - sum_over(Y[e] * Z[e], e))
    equal(lhs, rhs)
    _PROJECTION.add(slots)


@_guard
def square_sum(env, vector, components) -> Expr:
    if not _real_expr(vector, _size_positive(env)):
        raise KernelError(f"square sum: {vector} is not known to be real at {env.ctx.label}")
    if not set(components) <= set(vector.free):
        raise KernelError("square sum: a component index is not free in the vector")
    return sum_over(vector * vector, *components) if components else vector * vector


@_guard
def require_nonneg_index(env, weight, what: str) -> None:
    value = weight if isinstance(weight, Expr) else as_expr(weight)
    _, assume, _ = symbolic_parts(env)
    if not _nonneg_expr(normal(value, assume), _size_positive(env)):
        raise KernelError(f"{what} {value} is not certified nonnegative at {env.ctx.label}")


@_guard
def expected_sum(env, value, indices, terms, label) -> None:
    """``value = E[sum_{indices} sum_k w_k a_k]`` by the normal form."""
    free = frozenset(indices)
    total = as_expr(0)
    total = constant_in(total, *indices)
    for weight, atom in terms:
        weight = weight if isinstance(weight, Expr) else as_expr(weight)
        if not (weight.free | atom.free) <= free:
            raise KernelError(f"{label}: a term has indices outside the summed {sorted(map(str, free))}")
        total = total + constant_in(weight * atom, *(free - weight.free - atom.free))
    unfold, assume, _ = symbolic_parts(env)
    summed = sum_over(total, *indices) if indices else total
    try:
        equal(unfold.quotient(value), expect(summed), assume)
    except IndexAlgebraError as exc:
        raise KernelError(f"{label} at {env.ctx.label} is not E of the weighted pathwise atoms: "
                          f"{exc}") from None
