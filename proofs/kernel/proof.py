"""Proofs, their facts, and the one function that issues theorems (trusted).

A :class:`Proof` is a list of *steps* checked in order in every context:

* :class:`Chain` ``start rel_1 e_1 rel_2 e_2 ...``: each link is re-checked by its rule
  (:mod:`.rules`); the chain's conclusion ``start REL e_last`` (and each prefix's) becomes a *fact*;
* :class:`Cite` another lemma's :class:`~.theorem.Theorem`: every hypothesis of the cited theorem must be
  discharged by a premise here with the same formal statement; the cited theorem must have been checked
  at every concrete size of this proof, and proven at all sizes if this proof has a symbolic-size
  context (:mod:`.sizes`), with the same definitions of the names it speaks about; its conclusion
  becomes a fact;
* :class:`Cases` on a hypothesis and its negation (``w = 0`` / ``w != 0``): a fact proven under each
  holds without either.

A :class:`Fact` carries its *history*: every hypothesis it rests on (transitively), the theorems cited,
the rules used, and its open eigenvariables.  The lemma's declared ``conclusion`` (a SymPy relation or
``And`` of relations) must be exactly established by facts, and the hypotheses behind those facts must
be exactly the ones the lemma ``assumes``; only then :func:`check` issues the theorem -- at all sizes
(``all_sizes``) when a context of the proof is a :class:`~.sizes.SymbolicContext`, and with the concrete
sizes of its other contexts (``sizes``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Sequence

import sympy as sp

from . import rules, sizes
from ._timeout import DEFAULT_TIMEOUT
from .context import Context, hidden_assumption, is_name
from .env import Env
from .zero import require_real
from .errors import DependencyFailed, KernelError, ProofFailed
from .hypotheses import Equation, Hypothesis, NonZero
from .rules import (Certificate, Definiteness, FirstOrder, Identity, Infimum, LevelSet,
                    _same_relation)
from .theorem import is_issued, issue

RELATIONS = ("=", "<=", ">=")
_RELATION_CLASS = {"=": sp.Eq, "<=": sp.Le, ">=": sp.Ge}


# ------------------------------------------------------------------------------------------------
# Steps
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    relation: str
    expr: sp.Basic
    justification: object
    note: str = ""


@dataclass
class Chain:
    """``start rel_1 e_1 rel_2 e_2 ...``; its conclusion is ``start REL e_last``."""

    name: str
    start: sp.Basic
    links: list = field(default_factory=list)
    text: str = ""

    def eq(self, expr, justification, note=""):
        self.links.append(Link("=", expr, justification, note))
        return self

    def le(self, expr, justification, note=""):
        self.links.append(Link("<=", expr, justification, note))
        return self

    def ge(self, expr, justification, note=""):
        self.links.append(Link(">=", expr, justification, note))
        return self

    def relation_upto(self, index: int) -> str:
        rels = {link.relation for link in self.links[:index]} - {"="}
        if len(rels) > 1:
            raise KernelError(f"chain {self.name!r} mixes <= and >=: it proves nothing")
        return rels.pop() if rels else "="

    @property
    def relation(self) -> str:
        return self.relation_upto(len(self.links))

    @property
    def end(self):
        return self.links[-1].expr if self.links else self.start


@dataclass(frozen=True)
class Cite:
    """Use lemma ``lemma``'s theorem (``theorem`` returns it, or raises if it did not verify).

    ``discharge`` maps a cited hypothesis's name to the premise here that discharges it; by default a
    premise with the same name."""

    name: str
    lemma: str
    theorem: Callable
    discharge: tuple = ()
    text: str = ""

    kind = "citation"


@dataclass(frozen=True)
class Cases:
    """A fact proven under ``split[0]`` (``facts[0]``) and under ``split[1]`` (``facts[1]``), where the
    two hypotheses are ``X = Y`` and ``X != Y``, holds under neither."""

    name: str
    split: tuple
    facts: tuple
    text: str = ""

    kind = "case split"


@dataclass(frozen=True, eq=False)
class Fact:
    """A checked conjunction of relations with its history (used as a premise like a hypothesis)."""

    name: str
    relations: tuple
    closure: frozenset = frozenset()
    eigen: frozenset = frozenset()
    cites: frozenset = frozenset()
    rules: frozenset = frozenset()

    @property
    def statement(self):
        return sp.And(*self.relations) if len(self.relations) > 1 else self.relations[0]

    def equations(self) -> dict:
        return {r.lhs: r.rhs for r in self.relations if isinstance(r, sp.Eq) and is_name(r.lhs)}

    def nonzero(self) -> tuple:
        out = []
        for r in self.relations:
            if isinstance(r, sp.Ne):
                out += list(NonZero("_", r.lhs - r.rhs).nonzero())
        return tuple(out)

    def positive(self) -> tuple:
        return ()

    def bounds(self, ctx) -> list:
        return []


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
    """Outcome of checking a :class:`Proof`: per-step results, and the theorem when all verified."""

    name: str
    steps: list
    seconds: float
    theorem: object = None
    conclusion_error: str = ""

    @property
    def ok(self) -> bool:
        return self.theorem is not None

    @property
    def failures(self) -> list:
        out = [step for step in self.steps if not step.ok]
        if self.conclusion_error and not out:
            out.append(StepResult("conclusion", 0, "", "conclusion", False, self.conclusion_error, 0.0))
        return out

    @property
    def status(self) -> str:
        return "verified" if self.ok else "failed"

    def summary(self) -> str:
        if self.ok:
            return f"{self.name}: {len(self.steps)} steps verified in {self.seconds:.2f} s"
        first = self.failures[0] if self.failures else None
        if first is None:
            return f"{self.name}: no steps"
        return (f"{self.name}: {len(self.failures)} of {len(self.steps)} steps failed; first: "
                f"chain {first.chain!r} step {first.index}: {first.message}")


@dataclass
class Proof:
    """A lemma's derivation: hypotheses, steps, contexts, and the statement it must establish.

    ``conclusion`` is the formal statement (a relation or ``And`` of relations between named
    quantities); ``assumes`` names the hypotheses the statement assumes (default: all of
    ``hypotheses``): exactly these must lie behind the facts that establish it.
    """

    name: str
    hypotheses: list
    steps: list
    contexts: Sequence[Context]
    conclusion: sp.Basic = None
    assumes: tuple | None = None
    timeout: float = DEFAULT_TIMEOUT

    @property
    def chains(self) -> list:
        return [step for step in self.steps if isinstance(step, Chain)]

    def hypothesis(self, name: str) -> Hypothesis:
        for hyp in self.hypotheses:
            if hyp.name == name:
                return hyp
        raise KernelError(f"proof {self.name!r}: unknown hypothesis {name!r}; declared: "
                          f"{[h.name for h in self.hypotheses]}")


# ------------------------------------------------------------------------------------------------
# Checking
# ------------------------------------------------------------------------------------------------
def _history(premises) -> tuple:
    closure, eigen, cites, used = frozenset(), frozenset(), frozenset(), frozenset()
    for p in premises:
        closure |= p.closure
        eigen |= p.eigen
        cites |= p.cites
        used |= p.rules
    return closure, eigen, cites, used


def _sympy_parts(obj, depth: int = 0) -> list:
    """Every SymPy object reachable from ``obj`` through tuples, lists, dicts and dataclass fields
    (callables, which only generate what the kernel then checks, are not followed)."""
    if depth > 8:
        return []
    if isinstance(obj, sp.Basic):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [x for item in obj for x in _sympy_parts(item, depth + 1)]
    if isinstance(obj, dict):
        return [x for pair in obj.items() for item in pair for x in _sympy_parts(item, depth + 1)]
    if hasattr(obj, "__dataclass_fields__"):
        return [x for name in obj.__dataclass_fields__ for x in _sympy_parts(getattr(obj, name), depth + 1)]
    return []


def _free_in(contexts, formula) -> set:
    """Component symbols of every side of a relation (or of an expression), in every context."""
    sides = formula.args if isinstance(formula, sp.core.relational.Relational) else (formula,)
    out = set()
    for ctx in contexts:
        here = set()
        for side in sides:
            if ctx.symbolic:
                here |= ctx.free_components(side)
                continue
            value = ctx.instantiate(side)
            for item in (list(value) if isinstance(value, sp.MatrixBase) else [value]):
                here |= sp.sympify(item).free_symbols
        out |= rules.with_infima(ctx, here)
    return out


class _Checker:
    def __init__(self, proof: Proof):
        self.proof = proof
        self.facts: dict[str, Fact] = {}
        self.relations: list = []  # (relation formula, Fact) for the conclusion check
        self.cache: dict = {}
        self.inherited: dict = {}  # size key -> {name: meaning} of cited names undefined here
        names = [h.name for h in proof.hypotheses]
        if len(set(names)) != len(names):
            raise KernelError(f"proof {proof.name!r} declares a hypothesis name twice")
        if not proof.contexts:
            raise KernelError(f"proof {proof.name!r} has no context to check in")

    # -- premises -------------------------------------------------------------------------------
    def premise(self, name: str):
        if name in self.facts:
            return self.facts[name]
        return self.proof.hypothesis(name)

    def premises(self, names) -> list:
        return [self.premise(n) for n in names]

    def envs(self, premises) -> list:
        return [Env(ctx, premises, self.proof.timeout, self.cache) for ctx in self.proof.contexts]

    def add_fact(self, name: str, relations, premises_history, extra_rules=()):
        if name in self.facts or any(h.name == name for h in self.proof.hypotheses):
            raise KernelError(f"a step named {name!r} already exists")
        closure, eigen, cites, used = premises_history
        eigen = self._discharge(relations, closure, eigen)
        fact = Fact(name, tuple(relations), closure, eigen, cites, used | frozenset(extra_rules))
        self.facts[name] = fact
        return fact

    def _discharge(self, relations, closure, eigen) -> frozenset:
        """Close eigenvariables the relations no longer mention (and nothing else constrains)."""
        still = set()
        for t in eigen:
            mentioned = any(t in _free_in(self.proof.contexts, r) for r in relations)
            constrained = any(t in rules.with_infima(ctx, h.mentions(ctx)) for h in closure
                              for ctx in self.proof.contexts)
            if mentioned or constrained:
                still.add(t)
        return frozenset(still)

    # -- steps ----------------------------------------------------------------------------------
    def chain(self, chain: Chain, results: list) -> None:
        try:
            chain.relation  # noqa: B018  (raises on a mixed chain)
        except KernelError as exc:
            results.append(StepResult(chain.name, 0, "?", "chain", False, str(exc), 0.0))
            return
        if not chain.links:
            results.append(StepResult(chain.name, 0, "?", "chain", False, "a chain needs a link", 0.0))
            return
        previous, history, ok = chain.start, (frozenset(), frozenset(), frozenset(), frozenset()), True
        for index, link in enumerate(chain.links, start=1):
            t0 = time.perf_counter()
            try:
                message, link_history = self.link(previous, link)
                link_history = (link_history[0], self._discharge(
                    [_RELATION_CLASS[link.relation](previous, link.expr, evaluate=False)],
                    link_history[0], link_history[1]), link_history[2], link_history[3])
                history = tuple(a | b for a, b in zip(history, link_history))
                good = True
            except (KernelError, TypeError, ValueError, AttributeError, NotImplementedError,
                    sp.SympifyError) as exc:
                message, good = str(exc) or type(exc).__name__, False
            results.append(StepResult(chain.name, index, link.relation, link.justification.kind,
                                      good, message, time.perf_counter() - t0))
            ok &= good
            if good:
                # the link alone: previous REL expr, resting on the link's own premises
                alone = _RELATION_CLASS[link.relation](previous, link.expr, evaluate=False)
                self.relations.append((alone, Fact(f"{chain.name}[{index}] alone", (alone,),
                                                   *link_history)))
            if ok:
                relation = _RELATION_CLASS[chain.relation_upto(index)](chain.start, link.expr,
                                                                       evaluate=False)
                eigen = self._discharge([relation], history[0], history[1])
                prefix = Fact(f"{chain.name}[{index}]", (relation,), history[0], eigen, history[2],
                              history[3])
                self.relations.append((relation, prefix))
            previous = link.expr
        if ok:
            relation = _RELATION_CLASS[chain.relation](chain.start, chain.end, evaluate=False)
            try:
                self.add_fact(chain.name, [relation], history)
                for link in chain.links:
                    if isinstance(link.justification, LevelSet):
                        # the level-set rule also gives "t != 0" (some small nonzero t exists), as a
                        # fact of its own, so a step can divide by t without substituting the gradient
                        t = link.justification.parameter
                        self.add_fact(f"{chain.name}_parameter", [sp.Ne(t, 0, evaluate=False)], history)
            except KernelError as exc:
                results.append(StepResult(chain.name, 0, "", "chain", False, str(exc), 0.0))

    def sizes(self) -> tuple:
        return tuple(set().union(*(set(ctx.dims) for ctx in self.proof.contexts)))

    def refuse_assumptions(self, obj, where: str) -> None:
        """A symbol or function written in a step, a hypothesis or the statement must carry no
        assumption beyond ``real`` (SymPy would read it silently while evaluating); sizes are exempt."""
        for expr in _sympy_parts(obj):
            hidden = hidden_assumption(expr, self.sizes())
            if hidden is not None:
                raise KernelError(f"{where} uses {hidden}, which carries an assumption beyond 'real' "
                                  "(a sign or size fact must come from a hypothesis a step uses)")

    def link(self, lhs, link: Link):
        if link.relation not in RELATIONS:
            raise KernelError(f"unknown relation {link.relation!r}")
        just = link.justification
        self.refuse_assumptions((lhs, link.expr, just), "the step")
        premises = self.premises(getattr(just, "using", ()))
        rhs = link.expr
        used = {type(just).__name__}
        if isinstance(just, Identity):
            if link.relation != "=":
                raise KernelError(f"an identity justifies '=', not {link.relation!r}")
            methods = {rules.check_identity(env, lhs, rhs) for env in self.envs(premises)}
            message = f"identity ({'; '.join(sorted(methods))}) in {len(self.proof.contexts)} context(s)"
        elif isinstance(just, Certificate):
            if link.relation == "=":
                raise KernelError("a certificate justifies an inequality, not '='")
            gap = (rhs - lhs) if link.relation == "<=" else (lhs - rhs)
            reasons = []
            for env in self.envs(premises):
                reasons += rules.check_certificate(env, gap, just)
            for atom in just.atoms:
                used |= rules.atom_kinds(atom, self.proof.contexts[0])
            message = (f"gap = sum of {len(just.atoms)} nonnegative atom(s): "
                       f"{'; '.join(dict.fromkeys(reasons))}")
        elif isinstance(just, Infimum):
            if link.relation != "<=":
                raise KernelError("passing to an infimum needs '<='")
            earlier = None
            if just.from_chain is not None:
                fact = self.fact(just.from_chain)
                premises = premises + [fact]
                relation = fact.relations[0]
                kind = {sp.Eq: "=", sp.Le: "<=", sp.Ge: ">="}[type(relation)]
                earlier = (kind, relation.lhs, relation.rhs)
            closure, eigen = _history(premises)[:2]
            if eigen:
                raise KernelError(f"passing to an infimum from a fact that still holds only for small "
                                  f"{sorted(map(str, eigen))} (an open level-set parameter)")
            message = rules.check_infimum(self.envs(premises), lhs, rhs, earlier, closure)
        elif isinstance(just, Definiteness):
            if link.relation != "=":
                raise KernelError("definiteness justifies '=' only")
            fact = self.fact(just.from_chain)
            premises = premises + [fact]
            message = "; ".join(dict.fromkeys(
                rules.check_definiteness(env, lhs, rhs, fact.relations) for env in self.envs(premises)))
        elif isinstance(just, (FirstOrder, LevelSet)):
            if link.relation != "=":
                raise KernelError(f"{just.kind} justifies '=' only")
            premises = premises + [self.proof.hypothesis(just.local_minimum)]
            check = rules.check_first_order if isinstance(just, FirstOrder) else rules.check_level_set
            message = "; ".join(dict.fromkeys(check(env, lhs, rhs, just) for env in self.envs(premises)))
        else:
            raise KernelError(f"unknown justification {just!r}")
        closure, eigen, cites, rules_used = _history(premises)
        if isinstance(just, LevelSet):
            eigen |= {just.parameter}
            # the fact "t != 0" comes with the level-set rule (some small nonzero t exists)
        return message, (closure, eigen, cites, rules_used | used)

    def fact(self, name: str) -> Fact:
        if name not in self.facts:
            raise KernelError(f"{name!r} is not an earlier verified fact")
        return self.facts[name]

    def cite(self, step: Cite, results: list) -> None:
        t0 = time.perf_counter()
        try:
            try:
                theorem = step.theorem()
            except DependencyFailed as exc:
                raise KernelError(str(exc)) from None
            except ProofFailed as exc:
                raise KernelError(f"not verified: depends on {step.lemma} ({exc.report.summary()})") from None
            if not is_issued(theorem):
                raise KernelError(f"{step.lemma}: the cited value is not a theorem issued by the kernel")
            self._check_sizes(theorem, step.lemma)
            discharge = dict(step.discharge)
            premises = []
            for hyp in theorem.hypotheses:
                local = self.premise(discharge.get(hyp.name, hyp.name))
                if not self._discharges(local, hyp):
                    raise KernelError(f"premise {local.name!r} does not discharge hypothesis "
                                      f"{hyp.name!r} of {step.lemma} ({sp.sstr(hyp.statement)})")
                premises.append(local)
            closure, eigen, cites, used = _history(premises)
            cited = cites | {theorem} | frozenset(theorem.cites)
            rules_used = used | frozenset(theorem.rules) | {"Cite"}
            self.add_fact(step.name, list(theorem.conjuncts), (closure, eigen, cited, rules_used))
            by_hypothesis = dict(zip((h.name for h in theorem.hypotheses), premises))
            for relation, hyps in theorem.clauses:
                # each cited conclusion rests only on the premises that discharge its own hypotheses
                own = _history([by_hypothesis[h.name] for h in hyps])
                self.relations.append((relation, Fact(f"{step.name}: {_text(relation)}", (relation,),
                                                      own[0], own[1], cited, rules_used)))
            results.append(StepResult(step.name, 1, "", step.kind, True,
                                      f"theorem {step.lemma} (checked at {_sizes_text(theorem)}): "
                                      f"{theorem.text(_text)[:300]}", time.perf_counter() - t0))
        except KernelError as exc:
            results.append(StepResult(step.name, 1, "", step.kind, False, str(exc), time.perf_counter() - t0))

    def _discharges(self, local, hyp) -> bool:
        if isinstance(local, Fact):
            return isinstance(hyp, Equation) and any(_same_relation(r, hyp.statement)
                                                     for r in local.relations) \
                or (isinstance(hyp, NonZero) and any(_same_relation(r, hyp.statement)
                                                     for r in local.relations))
        return local.same_as(hyp)

    def _check_sizes(self, theorem, lemma: str) -> None:
        """A concrete context needs the cited theorem checked at the same sizes; a symbolic one needs
        it proven at all sizes (checked only at concrete sizes does not cover it).  Either way every
        name the cited statement speaks about must mean the same here."""
        for ctx in self.proof.contexts:
            key = _size_key(ctx)
            if ctx.symbolic and not theorem.all_sizes:
                raise KernelError(f"{lemma} was checked only at concrete sizes, not at {ctx.label}")
            if key not in theorem.definitions:
                raise KernelError(f"{lemma} was not checked at {ctx.label}")
            table = theorem.definitions[key]
            for name, value in table.items():
                if isinstance(name, tuple):  # a family a cited hypothesis quantifies over
                    if family_meaning(ctx, name[1]) != value:
                        raise KernelError(f"family {name[1]!r} has other members at {ctx.label} than in "
                                          f"{lemma}")
                    continue
                here = meaning_in(ctx, name)
                if here is None:
                    # a name this context leaves undefined stays an arbitrary symbol here (the cited
                    # statement holds for its cited meaning); that meaning is *inherited*: recorded
                    # in this proof's theorem, so a later citation compares it too
                    inherited = self.inherited.setdefault(key, {})
                    if name in inherited and inherited[name] != value:
                        raise KernelError(f"two cited theorems give {name} different meanings at "
                                          f"{ctx.label}")
                    inherited[name] = value
                    continue
                if here != value:
                    raise KernelError(f"{name} means something else at {ctx.label} than in {lemma}")
            # a name the cited theorem leaves undefined holds for every *real constant* value: a
            # definition here must be real and, with a stream, not random
            formulas = list(theorem.conclusion) + [h.statement for h in theorem.hypotheses]
            for name in _names_in(formulas):
                if name in table:
                    continue
                if ctx.symbolic and not ctx.is_deterministic(name):
                    raise KernelError(f"{name} is a constant in {lemma} but depends on the sample "
                                      f"stream at {ctx.label}")
                if ctx.symbolic and name in ctx.definitions:
                    sizes.require_defined_real(ctx, name, f"citation of {lemma}")
                elif not ctx.symbolic and name in ctx.definitions:
                    require_real(ctx.instantiate(name), f"citation of {lemma}: {name} is a real "
                                                        f"symbol there")

    def cases(self, step: Cases, results: list) -> None:
        t0 = time.perf_counter()
        try:
            hyp_a, hyp_b = (self.proof.hypothesis(n) for n in step.split)
            a, b = hyp_a.statement, hyp_b.statement
            if not ({type(a), type(b)} == {sp.Eq, sp.Ne} and a.args == b.args):
                raise KernelError(f"{hyp_a.name!r} and {hyp_b.name!r} are not a statement and its "
                                  "negation")
            fact_a, fact_b = (self.fact(n) for n in step.facts)
            common = [r for r in fact_a.relations if any(_same_relation(r, s) for s in fact_b.relations)]
            if not common:
                raise KernelError(f"facts {fact_a.name!r} and {fact_b.name!r} state nothing in common")
            history = _history([fact_a, fact_b])
            # each fact sheds only the hypothesis of *its* case: a fact that (also) used the other
            # case keeps it, so the same fact given for both cases discharges nothing
            closure = (fact_a.closure - {hyp_a}) | (fact_b.closure - {hyp_b})
            self.add_fact(step.name, common, (closure, history[1], history[2], history[3] | {"Cases"}))
            for relation in common:
                self.relations.append((relation, self.facts[step.name]))
            results.append(StepResult(step.name, 1, "", step.kind, True,
                                      f"holds when {_text(a)} and when {_text(b)}",
                                      time.perf_counter() - t0))
        except KernelError as exc:
            results.append(StepResult(step.name, 1, "", step.kind, False, str(exc), time.perf_counter() - t0))

    # -- the statement ----------------------------------------------------------------------------
    def conclusion(self):
        proof = self.proof
        if proof.conclusion is None:
            raise KernelError(f"proof {proof.name!r} declares no conclusion")
        self.refuse_assumptions(conclusion_tuple(proof.conclusion), "the statement")
        for hyp in proof.hypotheses:
            self.refuse_assumptions(hyp.statement, f"hypothesis {hyp.name!r}")
        conjuncts = conclusion_tuple(proof.conclusion)
        support, clauses = [], []
        for conjunct in conjuncts:
            found = [fact for relation, fact in self.relations if _same_relation(relation, conjunct)
                     and not fact.eigen]
            if not found:
                raise KernelError(f"no verified step establishes {sp.sstr(conjunct)} (without open "
                                  "eigenvariables)")
            best = min(found, key=lambda f: len(f.closure))
            support.append(best)
            clauses.append((conjunct, best.closure))
        closure, _, cites, used = _history(support)
        assumed = set(proof.hypothesis(n) for n in (proof.assumes if proof.assumes is not None
                                                    else [h.name for h in proof.hypotheses]))
        if closure != assumed:
            extra = sorted(h.name for h in closure - assumed)
            unused = sorted(h.name for h in assumed - closure)
            raise KernelError(f"the statement assumes {sorted(h.name for h in assumed)} but its "
                              f"derivation rests on {sorted(h.name for h in closure)}"
                              + (f" (not assumed: {extra})" if extra else "")
                              + (f" (assumed but unused: {unused})" if unused else ""))
        order = proof.hypotheses.index
        ordered = tuple(sorted(closure, key=order))
        clauses = tuple((c, tuple(sorted(h, key=order))) for c, h in clauses)
        return ordered, clauses, cites, used


def _text(formula) -> str:
    from ..printing import text  # display only
    return text(formula)


def conclusion_tuple(conclusion) -> tuple:
    """The conjuncts of a declared conclusion, in the order written (a relation, a tuple or ``And``)."""
    if isinstance(conclusion, (tuple, list)):
        return tuple(conclusion)
    if isinstance(conclusion, sp.And):
        return tuple(conclusion.args)
    return (conclusion,)


def _size_key(ctx: Context) -> tuple:
    if ctx.symbolic:
        return sizes.SYMBOLIC_KEY
    loss = "generic" if ctx.loss is None else getattr(ctx.loss, "name", str(ctx.loss))
    return tuple(sorted(ctx.sizes.items())) + (("loss", loss),)


def _sizes_text(theorem) -> str:
    concrete = "; ".join(", ".join(f"{k} = {v}" for k, v in size.items()) for size in theorem.sizes)
    if theorem.all_sizes:
        return "all sizes" + (f" (and explicitly at {concrete})" if concrete else "")
    return concrete


def meaning_in(ctx, name):
    """What ``name`` means in ``ctx`` (``None`` if undefined there): the instantiated definition; for a
    named infimum, the instantiated objective and the variables' components (not merely its name)."""
    if ctx.symbolic:
        return ctx.meaning(name)
    return _concrete_meaning(ctx, name, frozenset())


def family_meaning(ctx, label):
    """A family's members as what they mean here (instantiated; at symbolic sizes the normal forms of
    the members), so a citation compares the instances, not how they are written."""
    if label not in ctx.families:
        return None
    if ctx.symbolic:
        step, members = ctx.families[label]
        return (str(step.lower), str(step.upper),
                tuple(sizes.expr_key(lam.body) for lam in members))
    out = []
    for member in ctx.families[label]:
        out.append(tuple(sp.ImmutableMatrix(value).expand() if isinstance(value, sp.MatrixBase)
                         else sp.expand(value) for value in (ctx.instantiate(m) for m in member)))
    return tuple(out)


def _concrete_meaning(ctx, name, seen):
    """The instantiated definition, or an infimum's objective and variables; with the meanings of the
    named infima it mentions (an infimum stays a symbol when instantiated), recursively."""
    if name in ctx.definitions:
        value = ctx.instantiate(name)
    elif name in ctx.infima:
        objective, variables = ctx.infima[name]
        components = tuple(sorted(str(c) for v in variables for c in ctx.components(v)))
        value = ("infimum", ctx.instantiate(objective), components)
    else:
        return None
    inner = rules._free(value[1]) if isinstance(value, tuple) else rules._free(value)
    nested = tuple(sorted((str(s), _concrete_meaning(ctx, s, seen | {name}))
                          for s in inner if s in ctx.infima and s not in seen | {name}))
    return (value, nested) if nested else value


def _definitions_table(proof: Proof, theorem_names, hypotheses, inherited) -> dict:
    """Per size: what each name of the statement means there (and what cited names undefined here mean
    in the theorems cited), and the members of every family a hypothesis quantifies over (a citation
    must find the same).  Frozen: a theorem's record cannot be edited."""
    families = {getattr(h, "family", None) for h in hypotheses} - {None}
    table = {}
    for ctx in proof.contexts:
        key = _size_key(ctx)
        entry = dict(inherited.get(key, {}))
        for name in theorem_names:
            meaning = meaning_in(ctx, name)
            if meaning is not None:
                entry[name] = meaning
        for family in families:
            entry[("family", family)] = family_meaning(ctx, family)
        table[key] = MappingProxyType(entry)
    return MappingProxyType(table)


def _names_in(formulas) -> set:
    out = set()
    for formula in formulas:
        for node in sp.preorder_traversal(formula):
            if is_name(node):
                out.add(node)
    return out


def check(proof: Proof) -> ProofReport:
    """Check every step of ``proof`` in every context; issue its theorem if all verified."""
    started = time.perf_counter()
    results: list = []
    checker = _Checker(proof)
    for step in proof.steps:
        if isinstance(step, Chain):
            checker.chain(step, results)
        elif isinstance(step, Cite):
            checker.cite(step, results)
        elif isinstance(step, Cases):
            checker.cases(step, results)
        else:
            results.append(StepResult(str(step), 0, "", "?", False, f"unknown step {step!r}", 0.0))
    theorem, error = None, ""
    if results and all(r.ok for r in results):
        try:
            hypotheses, clauses, cites, used = checker.conclusion()
            formulas = list(conclusion_tuple(proof.conclusion)) + [h.statement for h in hypotheses]
            theorem = issue(
                name=proof.name, hypotheses=hypotheses, conclusion=conclusion_tuple(proof.conclusion),
                clauses=clauses,
                sizes=tuple(MappingProxyType(dict(ctx.sizes, **({"loss": ctx.loss.name}
                                                                 if ctx.loss is not None else {})))
                            for ctx in proof.contexts if not ctx.symbolic),
                all_sizes=any(ctx.symbolic for ctx in proof.contexts), rules=tuple(sorted(used)),
                cites=tuple(sorted(cites, key=lambda t: t.name)),
                definitions=_definitions_table(proof, _names_in(formulas), hypotheses, checker.inherited),
                steps=len(results))
        except KernelError as exc:
            error = str(exc)
    elif not results:
        error = "the proof has no steps"
    return ProofReport(proof.name, results, time.perf_counter() - started, theorem, error)


def prove(proof: Proof):
    """The theorem of ``proof``, or :class:`ProofFailed` with the report."""
    report = check(proof)
    if report.theorem is None:
        raise ProofFailed(report)
    return report.theorem
