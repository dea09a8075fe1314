"""One measured claim: :class:`ClaimResult`, its comparators and JSON form."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

PRESETS = ("smoke", "quick", "full")
Comparator = Literal["<=", "<", ">=", ">", "==", "in", "report"]
COMPARATORS: tuple[str, ...] = ("<=", "<", ">=", ">", "==", "in", "report")
Status = Literal["pass", "FAIL", "miss", "reported", "error", "skipped"]


def check_preset(preset: str) -> str:
    """Raise ``ValueError`` unless ``preset`` is one of ``smoke``, ``quick``, ``full``."""
    if preset not in PRESETS:
        raise ValueError(f"`preset` must be one of {PRESETS}, got {preset!r}")
    return preset


def _compare(value: float | None, comparator: str, threshold: Any) -> bool | None:
    if comparator == "report":
        return None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if comparator == "in":
        lo, hi = threshold
        return bool(lo <= value <= hi)
    ops = {
        "<=": lambda a, b: a <= b,
        "<": lambda a, b: a < b,
        ">=": lambda a, b: a >= b,
        ">": lambda a, b: a > b,
        "==": lambda a, b: a == b,
    }
    return bool(ops[comparator](value, threshold))


def seed_gate(per_seed: Sequence[float], threshold: Any, comparator: Comparator, *,
              min_seeds: int = 3) -> tuple[bool, str]:
    """DESIGN.md's rule for a noisy claim declared a GATE: it is a GATE only on at least
    ``min_seeds`` seeds that all fall on one side of its threshold (every seed passes, or every
    seed fails); otherwise it is REPORTED with its per-seed values.

    Returns ``(gate, reason)``; pass ``gate`` to :meth:`ClaimResult.measure` and keep ``reason``
    in the details (``"gate_rule"``). ``min_seeds`` below 3 is for briefs whose preset runs a
    claim on fewer seeds; say so where it is used.
    """
    if comparator == "report":
        raise ValueError("`comparator` 'report' has no threshold to straddle")
    if min_seeds < 1:
        raise ValueError(f"`min_seeds` must be >= 1, got {min_seeds}")
    ok = [bool(_compare(float(v), comparator, threshold)) for v in per_seed]
    if not ok:
        raise ValueError("`per_seed` is empty")
    if len(ok) < min_seeds:
        return False, f"REPORTED: {len(ok)} seed(s), a GATE needs >= {min_seeds} (DESIGN.md)"
    if all(ok) or not any(ok):
        return True, f"GATE: {len(ok)} seed(s), all on one side of the threshold"
    return False, (f"REPORTED: the seeds straddle the threshold ({sum(ok)} of {len(ok)} pass; "
                   "DESIGN.md)")


@dataclass(frozen=True, kw_only=True)
class ClaimResult:
    """One claim of a paper, measured.

    Attributes:
        id: short id from the paper brief's claims table (``"G1"``).
        claim: the claim in one sentence.
        metric: what was measured, in words.
        value: the measured value (mean over seeds when there are several).
        spread: its standard deviation over seeds, or ``None`` with one seed.
        threshold: the number compared against (a ``(low, high)`` pair for ``"in"``);
            ``None`` for a purely reported claim.
        comparator: how ``value`` is compared with ``threshold``; ``"report"`` compares nothing.
        gate: ``True`` for a GATE claim (a failure makes the run fail), ``False`` for REPORTED.
        passed: the comparison's outcome; ``None`` for ``comparator="report"`` and for a
            skipped claim; ``False`` for an errored one.
        baseline: the baseline's value of the same metric, when there is one.
        paper: the paper's (or the brief's reference) figure, as text, for REPORTED claims.
        seconds: wall time spent on this claim.
        details: extra numbers (per-seed values, sub-metrics), JSON-serialisable.
        error: the error summary when the claim raised (then ``passed`` is ``False``).
        skipped: the reason when the claim was not run (missing data, not at this preset).
    """

    id: str
    claim: str
    metric: str
    value: float | None
    spread: float | None = None
    threshold: Any = None
    comparator: Comparator = "report"
    gate: bool = False
    passed: bool | None = None
    baseline: float | None = None
    paper: str | None = None
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    skipped: str | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("`id` must be a non-empty string")
        if self.comparator not in COMPARATORS:
            raise ValueError(f"`comparator` must be one of {COMPARATORS}, got {self.comparator!r}")
        if self.comparator == "in" and (
            not isinstance(self.threshold, tuple | list) or len(self.threshold) != 2
        ):
            raise ValueError(
                f"`threshold` must be a (low, high) pair for 'in', got {self.threshold!r}"
            )
        if self.error is not None and self.skipped is not None:
            raise ValueError(f"claim {self.id!r} cannot be both errored and skipped")
        measured = self.error is None and self.skipped is None
        if measured and self.gate and self.comparator == "report":
            raise ValueError(f"GATE claim {self.id!r} needs a comparator other than 'report'")

    @classmethod
    def measure(
        cls,
        *,
        id: str,
        claim: str,
        metric: str,
        value: float | Sequence[float] | None,
        threshold: Any = None,
        comparator: Comparator = "report",
        gate: bool = False,
        baseline: float | None = None,
        paper: str | None = None,
        seconds: float = 0.0,
        details: dict[str, Any] | None = None,
    ) -> ClaimResult:
        """Build a result and decide ``passed``.

        ``value`` may be a sequence of per-seed values: the mean is compared, the standard
        deviation becomes ``spread`` and the values are kept in ``details["per_seed"]``.
        A NaN value never passes.
        """
        details = dict(details or {})
        spread = None
        if value is not None and not isinstance(value, int | float | bool):
            vals = [float(v) for v in value]
            if not vals:
                raise ValueError(f"`value` of claim {id!r} is an empty sequence")
            details.setdefault("per_seed", vals)
            mean = sum(vals) / len(vals)
            if len(vals) > 1:
                spread = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1))
            value = mean
        elif value is not None:
            value = float(value)
        return cls(
            id=id,
            claim=claim,
            metric=metric,
            value=value,
            spread=spread,
            threshold=tuple(threshold) if isinstance(threshold, list) else threshold,
            comparator=comparator,
            gate=gate,
            passed=_compare(value, comparator, threshold),
            baseline=None if baseline is None else float(baseline),
            paper=paper,
            seconds=float(seconds),
            details=details,
        )

    @classmethod
    def errored(cls, *, id: str, claim: str, gate: bool, error: str,
                seconds: float = 0.0) -> ClaimResult:
        """A claim whose code raised: recorded with the error, never a pass."""
        return cls(id=id, claim=claim, metric="(raised an error)", value=None, gate=gate,
                   passed=False, error=error, seconds=seconds)

    @classmethod
    def skip(cls, *, id: str, claim: str, gate: bool, reason: str,
             seconds: float = 0.0) -> ClaimResult:
        """A claim that was not run, with the reason (missing data, not at this preset)."""
        return cls(id=id, claim=claim, metric="(not run)", value=None, gate=gate, passed=None,
                   skipped=reason, seconds=seconds)

    @property
    def kind(self) -> str:
        return "GATE" if self.gate else "REPORTED"

    @property
    def status(self) -> Status:
        """``pass``/``FAIL`` (GATE), ``miss`` (REPORTED with a threshold it missed),
        ``reported``, ``error`` or ``skipped``."""
        if self.error is not None:
            return "error"
        if self.skipped is not None:
            return "skipped"
        if self.passed is None:
            return "reported"
        if self.passed:
            return "pass"
        return "FAIL" if self.gate else "miss"

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["kind"] = self.kind
        d["status"] = self.status
        return _jsonable(d)


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if hasattr(x, "item") and callable(x.item) and getattr(x, "ndim", 1) == 0:
        return _jsonable(x.item())
    if hasattr(x, "tolist"):
        return _jsonable(x.tolist())
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x


class timer:
    """Context manager measuring wall time: ``with timer() as t: ...; t.seconds``."""

    def __enter__(self) -> timer:
        self._t0 = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._t0
