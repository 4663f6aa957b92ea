"""Theorems are values only the kernel makes (trusted; the LCF discipline of HOL Light and Lean).

A :class:`Theorem` is ``hypotheses => conclusion``: formal SymPy statements over named quantities; the
concrete sizes it was checked at (``sizes``: a list of ``{"d": 2, "k": 2, "n": 3}`` dicts); ``all_sizes``,
true when every step was also checked in a symbolic-size context (:mod:`.sizes`), so the theorem holds
at every size and the concrete contexts are a second, independent check; the atoms (trusted inequality
rules) and rules it rests on; and the theorems it cites.  Its constructor demands a token private to
this module, and :func:`is_issued` knows every theorem the kernel issued (by identity), so a value
built, copied or unpickled elsewhere is refused wherever a theorem is used (a citation).  The text users
read is printed from the statement (:meth:`Theorem.text`, :meth:`Theorem.latex`), never typed beside it.
"""
from __future__ import annotations

import weakref

import sympy as sp

from .errors import KernelError

_TOKEN = object()
_ISSUED: "weakref.WeakSet[Theorem]" = weakref.WeakSet()


class Theorem:
    """``hypotheses => conclusion``, checked at ``sizes`` (see the module docstring)."""

    __slots__ = ("name", "hypotheses", "conclusion", "clauses", "sizes", "all_sizes", "rules", "cites",
                 "definitions", "steps", "__weakref__")

    def __init__(self, token, name, hypotheses, conclusion, clauses, sizes, rules, cites, definitions,
                 steps, all_sizes=False):
        if token is not _TOKEN:
            raise KernelError("a Theorem can only be made by the kernel (check a Proof instead)")
        for slot, value in (("name", name), ("hypotheses", tuple(hypotheses)),
                            ("conclusion", conclusion), ("clauses", tuple(clauses)), ("sizes", sizes), ("all_sizes", bool(all_sizes)),
                            ("rules", tuple(rules)),
                            ("cites", tuple(cites)), ("definitions", definitions), ("steps", steps)):
            object.__setattr__(self, slot, value)
        _ISSUED.add(self)

    def __setattr__(self, key, value):
        raise AttributeError("a Theorem is immutable")

    def __delattr__(self, key):
        raise AttributeError("a Theorem is immutable")

    def __reduce__(self):
        raise TypeError("a Theorem cannot be copied or pickled; check its proof again")

    def __copy__(self):
        raise TypeError("a Theorem cannot be copied; check its proof again")

    def __deepcopy__(self, memo):
        raise TypeError("a Theorem cannot be copied; check its proof again")

    # -- reading --------------------------------------------------------------------------------
    @property
    def conjuncts(self) -> tuple:
        return tuple(self.conclusion)

    @property
    def statement(self) -> sp.Basic:
        """The whole theorem as one formula: ``Implies(And(hypotheses), And(conclusion))``."""
        conclusion = sp.And(*self.conclusion) if len(self.conclusion) > 1 else self.conclusion[0]
        if not self.hypotheses:
            return conclusion
        return sp.Implies(sp.And(*[h.statement for h in self.hypotheses]), conclusion, evaluate=False)

    @property
    def depends_on(self) -> list[str]:
        return sorted({t.name for t in self.cites})

    @property
    def concrete_sizes(self) -> list:
        """The concrete sizes the theorem was also checked at (the same list as ``sizes``)."""
        return self.sizes

    def groups(self) -> list:
        """``[(hypotheses, [conjuncts])]``: conjuncts that rest on the same hypotheses, in order."""
        out: list = []
        for conjunct, hyps in self.clauses:
            if out and out[-1][0] == hyps:
                out[-1][1].append(conjunct)
            else:
                out.append((hyps, [conjunct]))
        return out

    @property
    def losses(self) -> tuple:
        """The concrete losses the theorem was checked for, when every context fixed one (then the
        theorem is about those losses only, and its statement says so); ``()`` when it holds for the
        generic loss ``l`` of its hypotheses."""
        names = [s.get("loss") for s in self.sizes]
        if self.all_sizes or not names or any(name is None for name in names):
            return ()
        return tuple(dict.fromkeys(names))

    def _loss_prefix(self, code=lambda name: name) -> str:
        if not self.losses:
            return ""
        names = [code(name) for name in self.losses]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        return f"For the loss l = {listed} (each at the sizes listed): "

    def text(self, printer=None) -> str:
        """``If H1; H2: C1 and C2. If ...`` in plain text, printed from the formal statements; each
        conclusion is shown with exactly the hypotheses it rests on (prefixed by the losses, when the
        theorem was checked for concrete losses only)."""
        show = printer or sp.sstr
        parts = []
        for hyps, conjuncts in self.groups():
            body = " and ".join(show(c) for c in conjuncts)
            parts.append(("If " + "; ".join(show(h.statement) for h in hyps) + ": " + body)
                         if hyps else body)
        return self._loss_prefix() + ". ".join(parts)

    def latex(self, printer=None) -> str:
        show = printer or sp.latex
        parts = []
        for hyps, conjuncts in self.groups():
            body = r" \;\text{and}\; ".join(show(c) for c in conjuncts)
            if hyps:
                parts.append("If " + ", ".join(f"${show(h.statement)}$" for h in hyps)
                             + f", then ${body}$.")
            else:
                parts.append(f"${body}$.")
        prefix = self._loss_prefix(lambda name: r"\texttt{" + name.replace("_", r"\_") + "}")
        return prefix.replace("l = ", r"$\ell$ = ") + " ".join(parts)

    def __repr__(self):
        return f"<Theorem {self.name}: {self.text()[:120]}>"


def issue(**fields) -> Theorem:
    """Make a theorem (called only by :func:`~.proof.check` once every step has verified)."""
    return Theorem(_TOKEN, **fields)


def is_issued(value) -> bool:
    """Was ``value`` made by the kernel (this very object)?"""
    return isinstance(value, Theorem) and value in _ISSUED
