"""pytest plugin: verify your own residual architecture inside your own test suite.

Enabled automatically once resnet-lemmas is installed (entry point ``pytest11``), or explicitly with
``pytest -p resnet_lemmas.pytest_plugin``.  It provides

- :func:`assert_no_bad_local_minima` ``(residual, X, y, loss=..., restarts=..., seed=...,
  require_minima=1)``: runs :func:`resnet_lemmas.numerics.verify.run.verify` and raises
  ``AssertionError`` with the full report unless the verdict is ``verified`` (at least
  ``max(require_minima, 1)`` certified local minima examined, the theorem held at each, no check failed)
  or, with ``require_minima=0``, ``below linear``; the message names the counts when too few certified
  minima were examined; when the architecture violates a precondition (non-convex or
  unknown loss, unit output of the wrong shape or not finite, a wrong ``vjp``, unusable data) it raises
  :class:`PreconditionViolated` (an ``AssertionError``) saying which precondition and why.  Returns the
  :class:`~resnet_lemmas.numerics.verify.run.VerifyReport` when it passes;
- the fixture ``no_bad_local_minima``: the same function, with defaults taken from the test's
  ``@pytest.mark.resnet_lemmas(loss=..., restarts=..., seed=..., maxiter=...)`` marker, then from the
  command-line options ``--resnet-lemmas-seed`` / ``--resnet-lemmas-restarts``, then from the built-in
  defaults (arguments given in the call win over all of these).  Every verification made through the
  fixture is listed in the terminal summary (verdict, margins, seed);
- the fixture ``resnet_lemmas_dataset``: ``resnet_lemmas_dataset("builtin:diabetes")`` or a file path
  -> :class:`~resnet_lemmas.numerics.data.datasets.Dataset` (``.X``, ``.y``);
- the marker ``resnet_lemmas`` (registered; tests using the fixture get it automatically, so
  ``pytest -m resnet_lemmas`` selects them, and ``-m "not resnet_lemmas"`` skips the slower checks).
"""
from __future__ import annotations

import pytest

# Nothing heavy (NumPy, SciPy, torch) is imported at module level: pytest loads this plugin in every
# session of every project where resnet-lemmas is installed.
MARKER = "resnet_lemmas"
_OPTIONS = ("loss", "restarts", "seed", "maxiter", "gtol", "init_scale", "standardize", "confirm_long",
            "require_minima")
_REPORTS = pytest.StashKey[list]()


class PreconditionViolated(AssertionError):
    """The architecture, loss or data violates a precondition of the theorem or of the checker."""


def assert_no_bad_local_minima(residual, X=None, y=None, *, data=None, loss: str = "squared",
                               restarts: int | None = None, seed: int = 0, maxiter: int | None = None,
                               gtol: float | None = None, init_scale: float = 1.0, data_name: str = "",
                               standardize: bool = False, confirm_long: bool = False,
                               require_minima: int | None = None):
    """Assert that the search examines at least ``require_minima`` certified local minima of ``F(w, V,
    theta)``, that ``F <= F_feat <= F_lin`` holds at each, and that no check fails anywhere.

    Passing does not prove that no bad local minimum exists (that is the kernel's theorem); it checks
    the theorem at the minima the search reached.  ``require_minima`` (default ``None``: 1, as
    :func:`~resnet_lemmas.numerics.verify.run.verify`) at most ``restarts``: with fewer certified
    minima the verdict is ``too few minima`` and this raises ``AssertionError`` whose first line names
    the counts; ``require_minima=0`` also accepts a run without any, whose verdict is then ``below
    linear`` (every start ended no worse than ``F_lin``, which says nothing about local minima).

    ``residual``: a NumPy unit (callable ``unit(X, theta) -> (n, k)`` with ``theta0``, optional
    ``vjp``), a ``torch.nn.Module``, or ``"MODULE:ATTR"``.  Data: ``X (n, d)`` and ``y (n,)``, or
    ``data=`` a :class:`~resnet_lemmas.numerics.data.datasets.Dataset` or a spec such as
    ``"builtin:diabetes"`` / ``"file.csv"``.  Returns the report when it passes (verdict ``verified``,
    or ``below linear`` with ``require_minima=0``); raises ``AssertionError`` (with the report's text)
    otherwise, and :class:`PreconditionViolated`
    when a precondition fails or the run is refused as too long (more than an hour estimated; pass
    ``confirm_long=True`` to run it anyway).  ``standardize=True`` standardises the columns of ``X``
    first (the cure for badly scaled data, which the report diagnoses).  ``restarts``, ``maxiter``,
    ``gtol`` default (``None``) to those of :func:`~resnet_lemmas.numerics.verify.run.verify`
    (3, 1500, 1e-9).
    """
    __tracebackhide__ = True
    from .numerics.verify import run as _verify
    from .numerics.data.synthetic import DataError
    from .numerics.data.datasets import Dataset, load_dataset
    from .numerics.verify.user_units import UserUnitError
    from .proofs.losses import LossError

    restarts = _verify.RESTARTS if restarts is None else restarts
    maxiter = _verify.MAXITER if maxiter is None else maxiter
    gtol = _verify.GTOL if gtol is None else gtol
    require_minima = _verify.REQUIRE_MINIMA if require_minima is None else require_minima

    try:
        if data is not None:
            if X is not None or y is not None:
                raise DataError("give either X and y or data=, not both")
            dataset = data if isinstance(data, Dataset) else load_dataset(str(data))
            X, y, data_name = dataset.X, dataset.y, data_name or dataset.name
        elif X is None or y is None:
            raise DataError("no data: pass X and y, or data='builtin:diabetes' (or a .csv/.npz path)")
        report = _verify.verify(residual, X, y, loss, restarts=restarts, seed=seed, maxiter=maxiter,
                                gtol=gtol, init_scale=init_scale, data_name=data_name,
                                standardize=standardize, confirm_long=confirm_long,
                                require_minima=require_minima)
    except _verify.ResourceLimitError as exc:
        raise PreconditionViolated(f"resnet-lemmas: refused before the search: {exc} "
                                   "(confirm_long=True runs it anyway)") from exc
    except (UserUnitError, DataError, LossError) as exc:
        kind = ("residual unit" if isinstance(exc, UserUnitError) else
                "data" if isinstance(exc, DataError) else "loss")
        raise PreconditionViolated(f"resnet-lemmas: precondition violated ({kind}): {exc}") from exc
    if report.verdict == "too few minima":
        counts = ", ".join(f"{count} {status}" for status, count in report.counts.items() if count)
        raise AssertionError(
            f"resnet-lemmas: too few certified local minima: {report.certified_minima} examined, "
            f"require_minima = {report.require_minima} ({counts} of {report.restarts} starts); ending "
            "below F_lin is not a local minimum, so this run checked the theorem at fewer minima than "
            "required (raise maxiter/restarts, or pass require_minima=0 to accept it):\n" + report.text())
    if not report.ok:
        raise AssertionError(f"resnet-lemmas: verdict {report.verdict!r}, not verified:\n" + report.text())
    return report


def pytest_addoption(parser):
    group = parser.getgroup("resnet-lemmas", "verify residual architectures (resnet-lemmas)")
    group.addoption("--resnet-lemmas-seed", type=int, default=None, metavar="S",
                    help="default seed of the no_bad_local_minima fixture (default 0)")
    group.addoption("--resnet-lemmas-restarts", type=int, default=None, metavar="R",
                    help="default restarts of the no_bad_local_minima fixture (default 3)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        f"{MARKER}(loss=..., restarts=..., seed=..., maxiter=..., require_minima=...): verifies a residual architecture with "
        "resnet-lemmas (a numeric search, seconds per test); keyword arguments set the defaults of the "
        "no_bad_local_minima fixture")
    config.stash[_REPORTS] = []


def pytest_collection_modifyitems(items):
    for item in items:
        if "no_bad_local_minima" in getattr(item, "fixturenames", ()) and \
                item.get_closest_marker(MARKER) is None:
            item.add_marker(MARKER)


@pytest.fixture
def no_bad_local_minima(request):
    """:func:`assert_no_bad_local_minima` with defaults from the ``resnet_lemmas`` marker and the
    ``--resnet-lemmas-*`` options; each report is listed in the terminal summary."""
    defaults = {}
    seed = request.config.getoption("--resnet-lemmas-seed")
    restarts = request.config.getoption("--resnet-lemmas-restarts")
    if seed is not None:
        defaults["seed"] = seed
    if restarts is not None:
        defaults["restarts"] = restarts
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        unknown = set(marker.kwargs) - set(_OPTIONS)
        if unknown or marker.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes only the keywords {', '.join(_OPTIONS)}; "
                                    f"got {sorted(unknown) or list(marker.args)}")
        defaults.update(marker.kwargs)
    reports = request.config.stash[_REPORTS]

    def check(residual, X=None, y=None, **kwargs):
        __tracebackhide__ = True
        options = {**defaults, **kwargs}
        try:
            report = assert_no_bad_local_minima(residual, X, y, **options)
        except AssertionError as exc:
            reports.append((request.node.nodeid, "precondition violated" if isinstance(
                exc, PreconditionViolated) else "NOT verified", str(exc).splitlines()[0][:160]))
            raise
        reports.append((request.node.nodeid, report.verdict,
                        f"{report.certified_minima} certified local minima, seed {report.seed}, {report.restarts} starts, F_lin = {report.F_lin:.6g}, "
                        f"best F = {min(s.F for s in report.starts):.6g}, worst theorem margin "
                        f"{report.worst_theorem_margin:.3g}, {sum(s.points_checked for s in report.starts)} "
                        "points checked"))
        return report

    return check


@pytest.fixture
def resnet_lemmas_dataset():
    """``load(spec, subsample=None, seed=0)`` -> a Dataset (``builtin:NAME``, ``.npz`` or ``.csv``)."""
    from .numerics.data.datasets import load_dataset

    return load_dataset


def pytest_terminal_summary(terminalreporter, config):
    reports = config.stash.get(_REPORTS, [])
    if not reports:
        return
    terminalreporter.section("resnet-lemmas")
    for nodeid, verdict, text in reports:
        terminalreporter.write_line(f"{verdict}: {nodeid}: {text}")
