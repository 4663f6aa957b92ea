"""The proof kernel: a derivation is a chain of relations, and every link is re-checked here.

A :class:`Chain` starts at an expression and moves through ``=``, ``<=`` or ``>=`` links; each link
carries a justification that the kernel checks, never trusts:

* :class:`Identity` — the two sides are equal.  Both sides are written with *named quantities*
  (``w``, ``V``, ``F``, ``c``, ``\\nabla_w F`` ... as SymPy symbols and matrix symbols, so that they print
  in the paper's notation).  The kernel *instantiates* them at small concrete sizes ``(d, k, n)``,
  replacing every named quantity by its definition in explicit components (gradients are computed
  component by component with ``sympy.diff``, never with SymPy's matrix calculus, which can return 0
  silently: sympy issues 26561, 27406), and proves that every component of ``lhs - rhs`` simplifies to
  zero, under a timeout.  Listing hypotheses in ``using`` lets the step substitute their equations
  (e.g. ``\\nabla_w F = 0``); every denominator met must be declared nonzero by one of them.
* :class:`Certificate` — an inequality ``lhs <= rhs`` (or ``>=``) holds because the gap equals,
  identically, a sum of declared nonnegative :mod:`atoms <resnet_lemmas.proofs.atoms>`, each of which
  certifies itself (a square of a real quantity, a Bregman divergence of a loss whose convexity was
  proven or assumed by name, a Cauchy-Schwarz gap certified by Lagrange's identity, ...).
* :class:`Infimum` — passing from "for every ``a``: ``X <= G(a)``" to ``X <= inf_a G(a)``, or comparing
  two infima over nested sets; the kernel checks that ``a`` is unconstrained by the hypotheses used.

Each check is repeated in every :class:`Context` (sizes) the derivation is given.  A step that fails
yields a :class:`StepResult` whose message names the chain, the step and the reason.
"""
from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

import sympy as sp
from sympy.solvers.solvers import denoms

DEFAULT_TIMEOUT = 30.0


class KernelError(Exception):
    """A derivation is malformed or a step cannot be checked."""


class SimplificationTimeout(KernelError):
    """SymPy did not finish a simplification within the allotted time."""


# ------------------------------------------------------------------------------------------------
# Running SymPy under a timeout
# ------------------------------------------------------------------------------------------------
def run_with_timeout(fn: Callable, seconds: float, what: str):
    """Run ``fn()``; raise :class:`SimplificationTimeout` naming ``what`` if it takes > ``seconds``.

    In the main thread this uses ``SIGALRM`` (the computation is really interrupted).  Elsewhere it
    runs ``fn`` in a daemon thread and stops waiting after ``seconds`` (the thread is abandoned).
    """
    if seconds is None or seconds <= 0:
        return fn()
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM"):
        def _alarm(signum, frame):
            raise SimplificationTimeout(f"SymPy did not finish {what} within {seconds:g} s")

        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    box: dict = {}

    def _target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=_target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise SimplificationTimeout(f"SymPy did not finish {what} within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _zero_by(expr: sp.Expr) -> str | None:
    """Return the name of the first transformation that reduces ``expr`` to 0, or ``None``."""
    if expr == 0:
        return "syntactically zero"
    for label, transform in (
        ("expand", sp.expand),
        ("cancel", lambda e: sp.cancel(sp.together(e))),
        ("simplify", sp.simplify),
        ("rewrite(exp) + simplify", lambda e: sp.simplify(e.rewrite(sp.exp))),
    ):
        if transform(expr) == 0:
            return label
    return None


def prove_zero(expr, timeout: float, what: str) -> str:
    """Prove that ``expr`` (a scalar or an explicit matrix) is identically zero.

    Returns a description of how; raises :class:`KernelError` with the first nonzero residual.
    """
    entries = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]

    def _work():
        methods = set()
        for index, entry in enumerate(entries):
            how = _zero_by(sp.sympify(entry))
            if how is None:
                where = f" (component {index})" if len(entries) > 1 else ""
                residual = sp.simplify(entry)
                raise KernelError(f"{what}: residual{where} does not vanish: {sp.sstr(residual)[:300]}")
            methods.add(how)
        return ", ".join(sorted(methods))

    return run_with_timeout(_work, timeout, what)


# ------------------------------------------------------------------------------------------------
# Named quantities, contexts, hypotheses
# ------------------------------------------------------------------------------------------------
@dataclass
class Context:
    """An instantiation of the named quantities at concrete sizes.

    ``definitions`` maps each named quantity (``sp.Symbol`` or ``sp.MatrixSymbol``) to its explicit
    value (a scalar expression in component symbols, or an ``ImmutableMatrix``).  ``dims`` maps the
    symbolic dimensions (``d``, ``k``, ``n``) to integers.  ``infima`` records named infima
    ``name -> (objective, variables)`` at the named level.  ``loss`` is ``None`` for the generic loss
    ``ell`` (whose convexity can only be assumed) or a concrete :class:`~.losses.Loss`.
    """

    label: str
    dims: Mapping[sp.Symbol, int]
    definitions: dict = field(default_factory=dict)
    infima: dict = field(default_factory=dict)
    loss: object = None
    samples: object = None

    def define(self, name, value) -> None:
        if isinstance(name, sp.MatrixSymbol) and not isinstance(value, sp.MatrixBase):
            raise KernelError(f"{name} is a matrix quantity; its definition must be a matrix")
        if isinstance(value, sp.MatrixBase):
            value = sp.ImmutableMatrix(value)
            expected = tuple(int(sp.sympify(s).xreplace(dict(self.dims))) for s in name.shape) \
                if isinstance(name, sp.MatrixSymbol) else None
            if expected is not None and tuple(value.shape) != expected:
                raise KernelError(f"definition of {name} has shape {value.shape}, expected {expected}")
        self.definitions[name] = value

    def is_variable(self, name) -> bool:
        """A variable is a named quantity defined as a plain symbol or a matrix of plain symbols."""
        value = self.definitions.get(name)
        if isinstance(value, sp.MatrixBase):
            return all(isinstance(entry, sp.Symbol) for entry in value)
        return isinstance(value, sp.Symbol)

    def instantiate(self, expr, overrides: Mapping | None = None):
        """Replace named quantities by their definitions until none is left, then evaluate.

        ``overrides`` (from hypotheses) replace derived quantities by value before unfolding, and
        substitute *variables* (``w = 0``) component-wise after unfolding, so that quantities
        computed from the components (gradients) see the substitution too.
        """
        table = dict(self.definitions)
        component_subs = {}
        for name, value in (overrides or {}).items():
            value = self.instantiate(value) if not isinstance(value, sp.MatrixBase) else value
            if self.is_variable(name):
                base = self.definitions[name]
                if isinstance(base, sp.MatrixBase):
                    value = sp.ImmutableMatrix(value)
                    if value.shape != base.shape:
                        raise KernelError(f"hypothesis gives {name} shape {value.shape}, "
                                          f"expected {base.shape}")
                    component_subs.update(zip(base, value))
                else:
                    component_subs[base] = value
            else:
                table[name] = value
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


@dataclass(frozen=True)
class Hypothesis:
    """A named assumption of a lemma.

    ``equations`` maps named quantities to the values they take under the hypothesis (used by steps
    that list the hypothesis in ``using``); ``nonzero`` lists named expressions the hypothesis
    declares nonzero (legitimising division by them); ``convex_loss`` marks the assumption that the
    generic loss is convex (legitimising Bregman atoms of the generic loss).
    """

    name: str
    text: str
    statement: sp.Basic | None = None
    equations: Mapping = field(default_factory=dict)
    nonzero: tuple = ()
    convex_loss: bool = False
    constrains: tuple = ()

    def overrides(self, ctx: Context) -> dict:
        return {name: ctx.instantiate(value) for name, value in self.equations.items()}


# ------------------------------------------------------------------------------------------------
# Justifications
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Identity:
    """``lhs = rhs`` after unfolding definitions (and substituting the hypotheses in ``using``)."""

    reason: str = "algebra"
    using: tuple = ()

    kind = "identity"


@dataclass(frozen=True)
class Certificate:
    """``lhs <= rhs`` because ``rhs - lhs`` (or ``lhs - rhs`` for ``>=``) is identically a sum of atoms."""

    atoms: tuple
    reason: str = ""
    using: tuple = ()

    kind = "certificate"


@dataclass(frozen=True)
class Infimum:
    """Pass to an infimum over ``variables`` (which no used hypothesis may constrain)."""

    reason: str = "infimum over arbitrary comparators"
    from_chain: str | None = None
    using: tuple = ()

    kind = "infimum"


@dataclass(frozen=True)
class Definiteness:
    """``z = 0`` because an earlier chain proved ``z^T z = 0`` (``z`` real)."""

    from_chain: str
    reason: str = "a real vector with zero squared norm is zero"
    using: tuple = ()

    kind = "definiteness"


@dataclass(frozen=True)
class Link:
    relation: str  # "=", "<=", ">="
    expr: sp.Basic
    justification: object
    note: str = ""


RELATIONS = ("=", "<=", ">=")


@dataclass
class Chain:
    """``start rel_1 e_1 rel_2 e_2 ...``; its conclusion is ``start REL e_last``.

    ``fact=True`` makes an equality conclusion available to later chains of the same proof as a
    hypothesis named ``name`` (substituting ``start -> e_last``).
    """

    name: str
    start: sp.Basic
    links: list = field(default_factory=list)
    text: str = ""
    fact: bool = False

    def eq(self, expr, justification, note=""):
        self.links.append(Link("=", expr, justification, note))
        return self

    def le(self, expr, justification, note=""):
        self.links.append(Link("<=", expr, justification, note))
        return self

    def ge(self, expr, justification, note=""):
        self.links.append(Link(">=", expr, justification, note))
        return self

    @property
    def relation(self) -> str:
        rels = {link.relation for link in self.links} - {"="}
        if not rels:
            return "="
        if len(rels) > 1:
            raise KernelError(f"chain {self.name!r} mixes <= and >=: it proves nothing")
        return rels.pop()

    @property
    def end(self):
        return self.links[-1].expr if self.links else self.start


@dataclass
class StepResult:
    chain: str
    index: int
    relation: str
    kind: str
    ok: bool
    message: str
    seconds: float


@dataclass
class ProofReport:
    """Outcome of checking a :class:`Proof` in every context."""

    name: str
    steps: list
    seconds: float

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)

    @property
    def failures(self) -> list:
        return [step for step in self.steps if not step.ok]

    @property
    def status(self) -> str:
        return "verified" if self.ok else "failed"

    def summary(self) -> str:
        if self.ok:
            return f"{self.name}: {len(self.steps)} steps verified in {self.seconds:.2f} s"
        first = self.failures[0]
        return (f"{self.name}: {len(self.failures)} of {len(self.steps)} steps failed; first: "
                f"chain {first.chain!r} step {first.index}: {first.message}")


@dataclass
class Proof:
    """A lemma's derivation: hypotheses, chains, and the contexts in which it is checked."""

    name: str
    hypotheses: list
    chains: list
    contexts: Sequence[Context]
    timeout: float = DEFAULT_TIMEOUT

    def hypothesis(self, name: str) -> Hypothesis:
        for hyp in self.hypotheses:
            if hyp.name == name:
                return hyp
        raise KernelError(f"proof {self.name!r}: step uses unknown hypothesis {name!r}; "
                          f"declared: {[h.name for h in self.hypotheses]}")

    def check(self) -> ProofReport:
        started = time.perf_counter()
        results = []
        facts: dict[str, Hypothesis] = {}
        conclusions: dict[str, tuple] = {}
        for chain in self.chains:
            chain_ok = True
            try:
                chain.relation  # noqa: B018  (raises on a mixed chain)
            except KernelError as exc:
                results.append(StepResult(chain.name, 0, "?", "chain", False, str(exc), 0.0))
                continue
            previous = chain.start
            for index, link in enumerate(chain.links, start=1):
                t0 = time.perf_counter()
                try:
                    message = self._check_link(chain, previous, link, facts, conclusions)
                    ok = True
                except (KernelError, TypeError, ValueError, AttributeError, NotImplementedError) as exc:
                    message, ok = str(exc) or type(exc).__name__, False
                results.append(StepResult(chain.name, index, link.relation,
                                          link.justification.kind, ok, message,
                                          time.perf_counter() - t0))
                chain_ok &= ok
                previous = link.expr
            conclusions[chain.name] = (chain, chain_ok and bool(chain.links))
            if chain.fact and chain_ok and chain.relation == "=":
                facts[chain.name] = Hypothesis(chain.name, chain.text,
                                               sp.Eq(chain.start, chain.end, evaluate=False),
                                               equations={chain.start: chain.end})
        return ProofReport(self.name, results, time.perf_counter() - started)

    # -- the rules ---------------------------------------------------------------------------------
    def _used(self, using: Iterable[str], facts: Mapping[str, Hypothesis]) -> list:
        used = []
        for name in using:
            used.append(facts[name] if name in facts else self.hypothesis(name))
        return used

    def _check_link(self, chain: Chain, lhs, link: Link, facts, conclusions) -> str:
        if link.relation not in RELATIONS:
            raise KernelError(f"unknown relation {link.relation!r}")
        just = link.justification
        used = self._used(getattr(just, "using", ()), facts)
        if isinstance(just, Identity):
            if link.relation != "=":
                raise KernelError(f"an identity justifies '=', not {link.relation!r}")
            return self._check_identity(lhs, link.expr, used)
        if isinstance(just, Certificate):
            if link.relation == "=":
                raise KernelError("a certificate justifies an inequality, not '='")
            gap = (link.expr - lhs) if link.relation == "<=" else (lhs - link.expr)
            return self._check_certificate(gap, just, used)
        if isinstance(just, Infimum):
            return self._check_infimum(chain, lhs, link, used, conclusions)
        if isinstance(just, Definiteness):
            return self._check_definiteness(lhs, link, just, conclusions)
        raise KernelError(f"unknown justification {just!r}")

    def _check_identity(self, lhs, rhs, used) -> str:
        methods = []
        for ctx in self.contexts:
            methods.append(self._zero_in(ctx, lhs - rhs, used, "identity"))
        return f"identity ({'; '.join(sorted(set(methods)))}) in {len(self.contexts)} context(s)"

    def _zero_in(self, ctx: Context, expr, used, what: str) -> str:
        overrides = {}
        for hyp in used:
            overrides.update(hyp.overrides(ctx))
        value = ctx.instantiate(expr, overrides)
        self._check_denominators(ctx, value, used)
        return prove_zero(value, self.timeout, f"{what} at {ctx.label}")

    def _check_denominators(self, ctx: Context, value, used) -> None:
        declared = [sp.expand(ctx.instantiate(expr)) for hyp in used for expr in hyp.nonzero]
        entries = list(value) if isinstance(value, sp.MatrixBase) else [value]
        for entry in entries:
            for den in denoms(sp.sympify(entry)):
                for factor in sp.Mul.make_args(sp.factor(den)):
                    base = factor.base if factor.is_Pow else factor
                    if base.is_number and base != 0:
                        continue
                    if base.is_nonzero or base.is_positive:
                        continue
                    if any(sp.expand(base - dec) == 0 or sp.expand(base + dec) == 0
                           or sp.expand(sp.factor(dec) - base) == 0 for dec in declared):
                        continue
                    if any(sp.simplify(dec / base).is_number for dec in declared if dec != 0):
                        continue
                    raise KernelError(
                        f"division by {sp.sstr(base)} at {ctx.label}, which no hypothesis in use "
                        f"declares nonzero")

    def _check_certificate(self, gap, just: Certificate, used) -> str:
        if not just.atoms:
            raise KernelError("a certificate needs at least one nonnegative atom")
        reasons = []
        total = sp.Add(*[atom.expr for atom in just.atoms])
        for ctx in self.contexts:
            self._zero_in(ctx, gap - total, used, "certificate gap minus atoms")
            for atom in just.atoms:
                reasons.append(atom.certify(ctx, self, used))
        unique = list(dict.fromkeys(reasons))
        return f"gap = sum of {len(just.atoms)} nonnegative atom(s): {'; '.join(unique)}"

    def _check_infimum(self, chain: Chain, lhs, link: Link, used, conclusions) -> str:
        rhs = link.expr
        if link.relation != "<=":
            raise KernelError("passing to an infimum needs '<='")
        for ctx in self.contexts:
            if rhs not in ctx.infima:
                raise KernelError(f"{rhs} is not a named infimum in context {ctx.label}")
        objective, variables = self.contexts[0].infima[rhs]
        if lhs in self.contexts[0].infima:
            # inf over a larger set <= inf over a smaller one: the smaller objective must be the
            # larger one with the other variables fixed at 0.
            big_obj, big_vars = self.contexts[0].infima[lhs]
            if not set(variables) <= set(big_vars):
                raise KernelError(f"variables {variables} are not a subset of {big_vars}")
            fixed = [v for v in big_vars if v not in variables]
            for ctx in self.contexts:
                big, small = ctx.infima[lhs][0], ctx.infima[rhs][0]
                zeros = {v: _zero_like(ctx, v) for v in fixed}
                prove_zero(ctx.instantiate(big, zeros) - ctx.instantiate(small), self.timeout,
                           f"restricted objective at {ctx.label}")
            return (f"the infimum over {', '.join(map(str, big_vars))} is at most the infimum with "
                    f"{', '.join(map(str, fixed))} = 0")
        # "X <= G(a) for every a" (an earlier chain) => "X <= inf_a G(a)".
        source = getattr(link.justification, "from_chain", None)
        if source not in conclusions:
            raise KernelError(f"passing to an infimum needs an earlier verified chain "
                              f"(from_chain={source!r} is not one)")
        earlier, earlier_ok = conclusions[source]
        if not earlier_ok:
            raise KernelError(f"chain {source!r} was not verified")
        if earlier.relation not in ("=", "<="):
            raise KernelError(f"chain {source!r} proves '{earlier.relation}', not '<='")
        if earlier.start != lhs:
            raise KernelError(f"chain {source!r} starts at {earlier.start}, not at {lhs}")
        if earlier.end != objective:
            raise KernelError(f"chain {source!r} ends at {earlier.end}, not at the objective "
                              f"{objective} of {rhs}")
        if set(variables) & _symbols_of(lhs):
            raise KernelError(f"{lhs} depends on {variables}: the bound is not uniform in them")
        hypotheses = self._all_hypotheses_of(earlier)
        for hyp in hypotheses:
            touched = set(hyp.constrains) | _free(hyp.equations)
            clash = touched & set(variables)
            if clash:
                raise KernelError(f"hypothesis {hyp.name!r} constrains {sorted(map(str, clash))}: "
                                  "they are not arbitrary, so the infimum cannot be taken")
        # the same at the component level: a named quantity whose *definition* involves the
        # variables (not visible at the named level) must not occur in lhs or in a used hypothesis
        for ctx in self.contexts:
            components = set()
            for v in variables:
                value = ctx.definitions.get(v)
                if value is not None:
                    components |= set(value.free_symbols) if hasattr(value, "free_symbols") else set()
            for label, expr in [(str(lhs), lhs)] + [
                    (f"hypothesis {h.name!r}", sp.Tuple(*(list(h.equations) + list(h.equations.values()))))
                    for h in hypotheses if h.equations]:
                found = components & set(sp.sympify(ctx.instantiate(expr)).free_symbols)
                if found:
                    raise KernelError(f"{label} depends, through its definition at {ctx.label}, on "
                                      f"{sorted(map(str, found))}: the comparator is not arbitrary")
        return (f"chain {source!r} holds for every {', '.join(map(str, variables))}, "
                f"hence for the infimum")

    def _check_definiteness(self, lhs, link: Link, just: Definiteness, conclusions) -> str:
        from .linalg import inner

        if link.relation != "=":
            raise KernelError("definiteness justifies '=' only")
        if just.from_chain not in conclusions or not conclusions[just.from_chain][1]:
            raise KernelError(f"definiteness needs the verified chain {just.from_chain!r}")
        earlier = conclusions[just.from_chain][0]
        if earlier.relation != "=" or earlier.start != inner(lhs, lhs):
            raise KernelError(f"chain {just.from_chain!r} does not prove {inner(lhs, lhs)} = 0")
        for ctx in self.contexts:
            end = ctx.instantiate(earlier.end)
            if prove_zero(end, self.timeout, f"end of chain {just.from_chain!r}") is None:
                raise KernelError(f"chain {just.from_chain!r} does not end at 0")
            prove_zero(ctx.instantiate(link.expr), self.timeout, "the claimed zero")
            value = ctx.instantiate(lhs)
            if not all(sp.sympify(e).is_real for e in (value if isinstance(value, sp.MatrixBase)
                                                         else [value])):
                raise KernelError(f"{lhs} is not known to be real at {ctx.label}")
        return f"{inner(lhs, lhs)} = 0 (chain {just.from_chain!r}) and {lhs} is real"

    def _all_hypotheses_of(self, chain: Chain):
        names = {n for link in chain.links for n in getattr(link.justification, "using", ())}
        return [h for h in self.hypotheses if h.name in names]


def _zero_like(ctx: Context, name):
    if isinstance(name, sp.MatrixSymbol):
        return sp.ImmutableMatrix(sp.zeros(*(int(sp.sympify(s).xreplace(dict(ctx.dims)))
                                             for s in name.shape)))
    return sp.Integer(0)


def _free(equations: Mapping) -> set:
    out = set()
    for key, value in equations.items():
        out |= {key} | sp.sympify(value).free_symbols
    return out


def _symbols_of(expr) -> set:
    expr = sp.sympify(expr)
    return set(expr.free_symbols) | set(expr.atoms(sp.MatrixSymbol))
