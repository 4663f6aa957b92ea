"""Plant a bug in each symbolic-size rule and atom; the soundness suite must fail (prints which cases catch it).

Run by hand (about 20 s per planted bug on a loaded 2-core machine): ``python tests/proofs/kernel/plant_bugs.py
[label fragment ...]``.  Each bug is a one-line edit of a trusted file, undone afterwards (also on error).
"Lagrange: identity not checked" is expected to stay uncaught: the identity is true, so skipping its proof
admits no false derivation (a *wrong* Lagrange identity is caught: the true lemmas stop verifying).
"""
import re, subprocess, sys, pathlib
REPO = pathlib.Path(__file__).resolve().parents[3]
root = REPO / "proofs" / "kernel"
M = [
 ("identity: skip the coefficient-denominator check", "sizes.py", "        if not (_nonzero_scalar(base, assume) or _declared_nonzero(as_expr(base), assume)):\n            raise KernelError(f\"a premise's", "        if False:\n            raise KernelError(f\"a premise's"),
 ("identity: skip the shape check", "sizes.py", "    if _shape(lhs) != _shape(rhs):\n        raise KernelError(f\"shapes", "    if False:\n        raise KernelError(f\"shapes"),
 ("infimum: comparator mentions ignored (free_components empty)", "sizes.py", "        out, todo = set(), [sp.sympify(expr)]\n        while todo:", "        out, todo = set(), []\n        while todo:"),
 ("sign rule: accept any coefficient sign", "sizes.py", "    return test(coef.xreplace(plain)) is True", "    return True"),
 ("sign rule: read symbol assumptions", "sizes.py", "    plain = {s: table.get(s) or sp.Dummy(s.name, real=True) for s in coef.free_symbols}", "    plain = {s: table.get(s) or s for s in coef.free_symbols}"),
 ("sign rule: any sqrt/E nonnegative", "sizes.py", "        return _nonneg_expr(f.lams[0].body, table)  # sqrt of a nonnegative; E is monotone", "        return True"),
 ("named sign rule: norm of anything", "sizes.py", "        return _is_real(env, expr.args[0])\n    if isinstance(expr, (sp.Mul, sp.Add)):", "        return True\n    if isinstance(expr, (sp.Mul, sp.Add)):"),
 ("realness: everything real", "sizes.py", "def _real_expr(expr: Expr, table) -> bool:\n", "def _real_expr(expr: Expr, table) -> bool:\n    return True\n"),
 ("lagrange: a wrong identity (no 1/2)", "sizes.py", "    equal(lhs, sum_over(cross * cross, *first, *second) * sp.Rational(1, 2))", "    equal(lhs, sum_over(cross * cross, *first, *second))"),
 ("telescoping: any identity accepted once a sequence is offered", "sizes.py", "                return f\"{by_telescoping(left, right, sequence, t, assume)} at {env.ctx.label}\"", "                return \"telescoping\""),
 ("bregman: value not compared", "sizes.py", "        equal(unfold.quotient(value), expect(mean) if expectation else mean, assume)", "        pass"),
 ("lagrange: identity not checked", "sizes.py", "    equal(lhs, sum_over(cross * cross, *first, *second) * sp.Rational(1, 2))", "    pass"),
 ("infimum gap: objective at the point not compared", "sizes.py", "    equal(unfold.quotient(value), at_point, assume)", "    pass"),
 ("declared: instance not compared", "sizes.py", "    equal(unfold.quotient(value), unfold.quotient(gap), assume)\n", "    pass\n"),
 ("first order: gradient not compared", "sizes.py", "    equal(ctx.unfolder().expr(lhs, out), diff(objective, tensor, *out))", "    pass"),
 ("level set: objective constancy skipped", "sizes.py", "    equal(_moved(ctx, objective, there), _moved(ctx, objective, here))", "    pass"),
 ("level set: polynomial check skipped", "sizes.py", "        if t in _atom_arguments(there[tensor].body) or not all(", "        if False and not all("),
 ("definiteness: claimed zero not checked", "sizes.py", "    _zero_claim(ctx, claimed)\n", "    pass\n"),
 ("cite: concrete-only theorem accepted at symbolic sizes", "proof.py", "            if ctx.symbolic and not theorem.all_sizes:", "            if False:"),
 ("cite: meanings at symbolic sizes not compared", "proof.py", "                    here = ctx.meaning(name)\n                    if here is None:", "                    here = value\n                    if here is None:"),
 ("weighted sum: concrete terms used at symbolic sizes", "atoms/squares.py", "        if env.symbolic:\n            raise KernelError(f\"{self.label}: a weighted sum", "        if False:\n            raise KernelError(f\"{self.label}: a weighted sum"),
 ("divided: divisor sign unchecked", "atoms/squares.py", "        if (sizes.nonneg(env, self.divisor) if env.symbolic else env.nonneg(self.divisor)) is None:", "        if not env.symbolic and env.nonneg(self.divisor) is None:"),
 ("bregman: no convexity premise needed", "atoms/convexity.py", "            if assumed is None:\n                raise KernelError(\"Bregman atom of the generic loss needs a convex_loss premise in use\")\n            sizes.bregman_mean", "            if False:\n                raise KernelError(\"Bregman atom of the generic loss needs a convex_loss premise in use\")\n            sizes.bregman_mean"),
]
only = sys.argv[1:]
for label, path, old, new in M:
    if only and not any(o in label for o in only):
        continue
    f = root / path
    src = f.read_text()
    assert src.count(old) == 1, (label, src.count(old))
    f.write_text(src.replace(old, new))
    try:
        out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/proofs/kernel/test_soundness.py",
                              "tests/proofs/kernel/test_sizes.py", "-k", "sym or sizes or symbolic"],
                             cwd=REPO, capture_output=True, text=True)
        failed = re.findall(r"FAILED \S+::(\S+)", out.stdout)
        tail = ((out.stdout.strip() or out.stderr.strip() or "no output").splitlines())[-1]
        print(f"{label}: {'CAUGHT' if failed else 'NOT CAUGHT'} ({tail}) by {[x[:70] for x in failed][:4]}", flush=True)
    finally:
        f.write_text(src)
