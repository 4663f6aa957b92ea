"""Defaults and limits of :func:`~.run.verify`, importable without NumPy or SciPy.

The command line reads them to build its parser (a refused argument must not wait for SciPy to
import), the pytest plugin and :mod:`.run` use the same numbers.
"""

#: Independent starts of the local-minimum search.
RESTARTS = 3
#: L-BFGS-B iterations per start.
MAXITER = 1500
#: A start is converged iff ``max_j |dF/dparam_j| <= GTOL``.
GTOL = 1e-9
#: Certified local minima a run must examine for the verdict ``verified`` (``--require-minima``); a
#: run whose starts all end below ``F_lin`` at uncertified points says nothing about local minima.
REQUIRE_MINIMA = 1

#: Each start's L-BFGS-B run is followed by the polish of ``refined_local_minimum`` (Hessian,
#: negative-curvature steps, Newton steps to the certificate's relative stationarity) only when the
#: packed dimension ``N = d + d k + q`` is at most this.  The dense ``N x N`` Hessian costs ``4 N``
#: gradient evaluations for a unit without an exact Hessian (extrapolated differences; measured 0.15 s
#: at ``N = 294`` on diabetes, about 0.13 ms a gradient) plus an ``O(N^3)`` eigendecomposition, and a
#: start computes at most ``POLISH_HESSIANS = 4`` of them (and only near a stationary point,
#: ``POLISH_GATE``): at ``N = 400`` that is at most ``6,400`` gradient evaluations, about four times the
#: L-BFGS-B budget's.  Larger units are searched by L-BFGS-B alone, and each start says why no polish
#: was tried.
POLISH_MAX_PARAMS = 400

#: Most starts one run may have.  Every start keeps its row in the report (a ``StartResult``, about
#: 2 kB with its messages) and its seed; 1e5 starts are about 0.2 GB, and at the fastest measured
#: rate (0.1 s a start) already three hours of work.  Larger campaigns are several runs with
#: different ``--seed``.
MAX_RESTARTS = 100_000

#: A run whose estimated duration exceeds this many seconds is refused unless confirmed (``--yes``,
#: ``confirm_long=True``): the estimate is ``restarts x maxiter x`` the measured cost of one
#: evaluation of ``F`` and its gradient, i.e. the cost if every start runs to ``maxiter``.
LONG_RUN_SECONDS = 3600.0

#: Above this estimate the command prints the estimate before it starts (so one can stop early).
NOTE_RUN_SECONDS = 60.0
