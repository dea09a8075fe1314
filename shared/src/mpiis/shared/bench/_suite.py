"""A benchmark suite as a set of claim functions, each run in isolation.

A package's ``benchmark.py`` builds one :class:`Suite`, declares its options and registers one
function per claim; the entry point ``mpiis.benchmarks`` names that object. The runner calls
each claim function with a :class:`Context`; a claim that raises is recorded as errored and the
others still run.
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from ._claim import PRESETS, ClaimResult, check_preset

__all__ = ["ClaimSkipped", "Context", "Option", "Suite", "SuiteRun"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ClaimSkipped(Exception):
    """Raised by :meth:`Context.skip`: the claim is recorded as skipped with the reason."""


@dataclass(frozen=True)
class Option:
    """A suite option, given as ``mpiis-bench NAME --set name=value``.

    Attributes:
        name: the key after ``--set``.
        type: converts the text (``str``, ``int``, ``float``, ``bool``, ``Path``).
        default: the value when neither ``--set`` nor the environment alias gives one.
        help: one line for ``mpiis-bench NAME --help``.
        env: an environment variable that may give the value when ``--set`` does not.
    """

    name: str
    type: Callable[[str], Any] = str
    default: Any = None
    help: str = ""
    env: str | None = None

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"`name` must be an identifier, got {self.name!r}")

    def parse(self, text: Any) -> Any:
        """Convert ``text`` (a string from the command line or the environment)."""
        if not isinstance(text, str):
            return text
        if self.type is bool:
            low = text.strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError(f"option `{self.name}` expects a boolean (true/false), got {text!r}")
        try:
            return self.type(text)
        except (TypeError, ValueError) as exc:
            kind = getattr(self.type, "__name__", str(self.type))
            raise ValueError(f"option `{self.name}` expects {kind}, got {text!r}") from exc

    def describe(self) -> str:
        kind = getattr(self.type, "__name__", str(self.type))
        alias = f"; env {self.env}" if self.env else ""
        return f"{self.name}=<{kind}>  {self.help} (default: {self.default!r}{alias})"


@dataclass
class Context:
    """What a claim function gets: the preset, seed, output folder and options.

    ``shared(key, fn)`` memoises an expensive step (a trained model) across the claims of one
    run; ``figure(name, draw)`` draws a figure when there is an output folder and matplotlib,
    and turns any failure into a note; ``skip(reason)`` ends the claim as skipped.
    """

    preset: str
    seed: int
    out_dir: Path | None
    options: Mapping[str, Any]
    notes: list[str] = field(default_factory=list)
    _memo: dict[str, tuple[bool, Any]] = field(default_factory=dict, repr=False)

    def rng(self, stream: int) -> np.random.Generator:
        """A numpy ``Generator`` seeded from ``(seed, stream)``: one stream per purpose."""
        return np.random.default_rng([self.seed, stream])

    def shared(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per run; later calls with the same ``key`` return its value.

        When ``compute`` raised, every later call raises again (so each claim that needs the
        step is recorded as errored, with the original error named).
        """
        if key not in self._memo:
            try:
                self._memo[key] = (True, compute())
            except Exception as exc:
                self._memo[key] = (False, exc)
                raise
        ok, value = self._memo[key]
        if not ok:
            raise RuntimeError(f"shared step {key!r} failed earlier: {value!r}") from value
        return value

    def figure(self, name: str, draw: Callable[[Path], Any]) -> Path | None:
        """Call ``draw(path)`` for ``out_dir/name``; skipped (with a note) when matplotlib is
        missing, and any error becomes a note instead of losing the results."""
        if self.out_dir is None:
            return None
        try:
            import matplotlib

            matplotlib.use("Agg")
        except ImportError:
            self.notes.append(f"figure {name} skipped: matplotlib is not installed")
            return None
        path = Path(self.out_dir) / name
        try:
            draw(path)
        except Exception as exc:
            self.notes.append(f"figure {name} failed: {type(exc).__name__}: {exc}")
            return None
        finally:
            try:
                import matplotlib.pyplot as plt

                plt.close("all")
            except Exception:  # pragma: no cover - closing never matters for results
                pass
        return path

    def skip(self, reason: str) -> None:
        """End the current claim as skipped with ``reason``."""
        raise ClaimSkipped(reason)


@dataclass(frozen=True)
class _Claim:
    id: str
    sentence: str
    gate: bool
    presets: tuple[str, ...]
    fn: Callable[[Context], ClaimResult | Iterable[ClaimResult]]


@dataclass(frozen=True)
class SuiteRun:
    """The results of one run of a :class:`Suite` and the notes it left."""

    results: tuple[ClaimResult, ...]
    notes: tuple[str, ...]
    options: Mapping[str, Any]
    threads: Mapping[str, str] = field(default_factory=dict)


@contextlib.contextmanager
def _pinned_torch_threads(n: int | None):
    """Set torch's intra-op threads to ``n`` for the block (when torch is installed)."""
    if n is None:
        yield {}
        return
    try:
        import torch
    except ImportError:
        yield {}
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield {"torch_threads_during_run": str(n)}
    finally:
        torch.set_num_threads(before)


def _summary(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(tb[-1].filename).name}:{tb[-1].lineno})" if tb else ""
    return f"{type(exc).__name__}: {exc}{where}"


class Suite:
    """A package's benchmark: options plus one registered function per claim.

    ``torch_threads`` pins torch's intra-op threads while the suite runs (on a CPU, small
    networks thrash on several threads of a shared machine); the previous setting is restored
    afterwards and the pinned one is recorded in the run's thread settings.

    Example::

        suite = Suite("cats", options=[Option("data_csv", default=None, help="a table")])

        @suite.claim("C1", "Adjustment removes the planted confounding.", gate=True)
        def _c1(ctx): return ClaimResult.measure(...)
    """

    def __init__(self, name: str, *, options: Sequence[Option] = (), description: str = "",
                 torch_threads: int | None = None):
        if torch_threads is not None and torch_threads < 1:
            raise ValueError(f"`torch_threads` must be >= 1, got {torch_threads}")
        self.name = name
        self.torch_threads = torch_threads
        self.description = description
        self.options = {o.name: o for o in options}
        if len(self.options) != len(options):
            raise ValueError(f"`options` of suite {name!r} has duplicate names")
        self._claims: dict[str, _Claim] = {}

    # -- declaring -------------------------------------------------------------------------

    def claim(self, id: str, sentence: str, *, gate: bool,
              presets: Sequence[str] = PRESETS) -> Callable:
        """Register ``fn(ctx) -> ClaimResult | list[ClaimResult]`` as claim ``id``.

        ``gate`` is the claim's declared kind (used when it errors or is skipped);
        ``presets`` are those it runs at (at the others it is listed as skipped).
        """
        if id in self._claims:
            raise ValueError(f"claim {id!r} is registered twice in suite {self.name!r}")
        for p in presets:
            check_preset(p)

        def register(fn: Callable) -> Callable:
            self._claims[id] = _Claim(id, sentence, bool(gate), tuple(presets), fn)
            return fn

        return register

    @property
    def claims(self) -> dict[str, str]:
        """``{claim id: sentence}`` in registration order."""
        return {c.id: c.sentence for c in self._claims.values()}

    @property
    def gates(self) -> dict[str, bool]:
        """``{claim id: declared as GATE}``."""
        return {c.id: c.gate for c in self._claims.values()}

    def resolve_options(self, given: Mapping[str, Any] | None = None,
                        environ: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Options from ``given`` (``--set``), then the environment alias, then the default.

        Raises:
            ValueError: for an option the suite does not declare, or a value of the wrong type.
        """
        given = dict(given or {})
        environ = os.environ if environ is None else environ
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            known = ", ".join(self.options) or "(none)"
            raise ValueError(f"suite {self.name!r} has no option {', '.join(unknown)}; "
                             f"its options: {known}")
        out = {}
        for name, opt in self.options.items():
            if name in given:
                out[name] = opt.parse(given[name])
            elif opt.env and environ.get(opt.env):
                out[name] = opt.parse(environ[opt.env])
            else:
                out[name] = opt.default
        return out

    # -- running ---------------------------------------------------------------------------

    def execute(self, preset: str, *, seed: int = 0, out_dir: Path | None = None,
                options: Mapping[str, Any] | None = None,
                progress: Callable[[str], None] | None = None) -> SuiteRun:
        """Run every claim at ``preset``; never raises for a claim's error."""
        check_preset(preset)
        opts = self.resolve_options(options)
        if out_dir is not None:
            out_dir = Path(out_dir)
            out_dir.mkdir(parents=True, exist_ok=True)
        ctx = Context(preset, int(seed), out_dir, MappingProxyType(opts))
        with _pinned_torch_threads(self.torch_threads) as threads:
            results = self._run_claims(ctx, progress)
        return SuiteRun(tuple(results), tuple(ctx.notes), MappingProxyType(opts), threads)

    def _run_claims(self, ctx: Context,
                    progress: Callable[[str], None] | None) -> list[ClaimResult]:
        preset = ctx.preset
        results: list[ClaimResult] = []
        total = len(self._claims)
        for k, c in enumerate(self._claims.values(), 1):
            if preset not in c.presets:
                results.append(ClaimResult.skip(id=c.id, claim=c.sentence, gate=c.gate,
                                                reason=f"not run at preset {preset!r}"))
                continue
            if progress is not None:
                progress(f"[{self.name} {k}/{total}] {c.id}: {c.sentence}")
            t0 = time.perf_counter()
            try:
                got = c.fn(ctx)
                if isinstance(got, ClaimResult):
                    got = [got]
                elif isinstance(got, list | tuple):
                    got = list(got)
                else:
                    got = [got]
                bad = [g for g in got if not isinstance(g, ClaimResult)]
                if bad or not got:
                    what = type(bad[0]).__name__ if bad else "nothing"
                    raise TypeError(f"claim {c.id!r} returned {what}, expected ClaimResult")
            except ClaimSkipped as exc:
                got = [ClaimResult.skip(id=c.id, claim=c.sentence, gate=c.gate,
                                        reason=str(exc), seconds=time.perf_counter() - t0)]
            except Exception as exc:
                got = [ClaimResult.errored(id=c.id, claim=c.sentence, gate=c.gate,
                                           error=_summary(exc),
                                           seconds=time.perf_counter() - t0)]
            dt = time.perf_counter() - t0
            got = [replace(g, seconds=dt / len(got)) if g.seconds == 0.0 else g for g in got]
            results.extend(got)
            if progress is not None:
                states = ", ".join(f"{g.id} {g.status}" for g in got)
                progress(f"[{self.name} {k}/{total}] {c.id} done in {dt:.1f} s: {states}")
        return results

    def __call__(self, preset: str, *, seed: int = 0, out_dir: Path | None = None,
                 **options: Any) -> list[ClaimResult]:
        """Run the suite and return its results (notes are dropped; use :meth:`execute`)."""
        return list(self.execute(preset, seed=seed, out_dir=out_dir, options=options).results)
