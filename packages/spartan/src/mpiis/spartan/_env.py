"""ContactBalls2D: a pure-numpy 2-D contact simulator with ground-truth interaction graphs
(brief, Data). Vectorised over trajectories, seeded by a ``numpy.random.Generator``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from mpiis.shared.validation import check_array, check_choice, check_int, check_positive

__all__ = [
    "TRAINING_REGIMES",
    "UNSEEN_REGIMES",
    "ContactBalls2D",
    "Regime",
    "Trajectories",
    "TransitionData",
]

_DIRS = {"down": (0.0, -1.0), "up": (0.0, 1.0), "right": (1.0, 0.0), "left": (-1.0, 0.0)}


@dataclass(frozen=True, kw_only=True, slots=True)
class Regime:
    """One mechanism: ``kind="none"`` (observational) or a change of exactly one real ball.

    ``drift``: v <- v + a dt (|a| = ``strength``, default 4, along ``direction``);
    ``damp``: v <- v (1 - c dt) (c = 3); ``spin``: rotate v by omega dt (|omega| = 6, sign from
    ``direction`` "+"/"-").
    """

    kind: Literal["none", "drift", "damp", "spin"] = "none"
    target: int | None = None
    direction: str | None = None
    strength: float | None = None

    def __post_init__(self) -> None:
        check_choice(self.kind, "kind", ("none", "drift", "damp", "spin"))
        if self.kind == "none":
            if self.target is not None:
                raise ValueError(f"`target` must be None for kind 'none', got {self.target!r}")
            return
        check_int(self.target, "target", minimum=0)
        if self.kind == "drift":
            check_choice(self.direction, "direction", tuple(_DIRS))
        if self.kind == "spin":
            check_choice(self.direction, "direction", ("+", "-"))
        if self.strength is not None:
            check_positive(self.strength, "strength")

    @property
    def name(self) -> str:
        if self.kind == "none":
            return "none"
        d = f",{self.direction}" if self.direction else ""
        return f"{self.kind}({self.target}{d})"

    def target_vector(self, n_objects: int) -> np.ndarray:
        """Bool[n_objects]: which objects' mechanism this regime changes."""
        t = np.zeros(n_objects, dtype=bool)
        if self.target is not None:
            t[self.target] = True
        return t

    def apply(self, v: np.ndarray, dt: float) -> np.ndarray:
        """Velocities ``(M, K, 2)`` after this regime's mechanism (a copy)."""
        if self.kind == "none":
            return v
        v = v.copy()
        i = self.target
        if self.kind == "drift":
            a = self.strength or 4.0
            v[:, i] += a * dt * np.asarray(_DIRS[self.direction])
        elif self.kind == "damp":
            c = self.strength or 3.0
            v[:, i] *= 1.0 - c * dt
        else:
            w = (self.strength or 6.0) * (1.0 if self.direction == "+" else -1.0) * dt
            c, s = np.cos(w), np.sin(w)
            vx, vy = v[:, i, 0].copy(), v[:, i, 1].copy()
            v[:, i, 0], v[:, i, 1] = c * vx - s * vy, s * vx + c * vy
        return v


# Training and unseen regimes of the brief (Data, "Interventions").
TRAINING_REGIMES: tuple[Regime, ...] = (
    Regime(kind="none"),
    Regime(kind="drift", target=0, direction="down"),
    Regime(kind="damp", target=1),
    Regime(kind="spin", target=2, direction="+"),
    Regime(kind="drift", target=3, direction="right"),
    Regime(kind="spin", target=1, direction="-"),
)
UNSEEN_REGIMES: tuple[Regime, ...] = (
    Regime(kind="damp", target=0),
    Regime(kind="drift", target=2, direction="up"),
    Regime(kind="spin", target=3, direction="+"),
    Regime(kind="drift", target=1, direction="left"),
)


@dataclass(frozen=True, eq=False)
class TransitionData:
    """Single transitions ``s_t -> s_{t+1}`` (brief, Data).

    Attributes:
        states: ``(M, N, D)`` token features at t.
        next_states: ``(M, N, D)`` at t + 1.
        regime: ``(M,)`` int regime ids (index into the study's regime list).
        graphs: ``(M, N, N)`` bool ground-truth interaction graphs (``[i, j]``: j influences i).
        contact: ``(M,)`` bool, the transition has at least one edge.
        targets: ``(M, N)`` bool, objects whose mechanism the regime changed.
        actions: ``(M, A)`` or ``None``.
    """

    states: np.ndarray
    next_states: np.ndarray
    regime: np.ndarray
    graphs: np.ndarray
    contact: np.ndarray
    targets: np.ndarray
    actions: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.states.shape[0])

    def subset(self, idx: np.ndarray) -> TransitionData:
        """The transitions at ``idx`` (an index or boolean array)."""
        return TransitionData(
            self.states[idx], self.next_states[idx], self.regime[idx], self.graphs[idx],
            self.contact[idx], self.targets[idx],
            None if self.actions is None else self.actions[idx],
        )

    @staticmethod
    def concat(parts: list[TransitionData]) -> TransitionData:
        acts = [p.actions for p in parts]
        return TransitionData(
            *(np.concatenate([getattr(p, k) for p in parts]) for k in
              ("states", "next_states", "regime", "graphs", "contact", "targets")),
            None if any(a is None for a in acts) else np.concatenate(acts),
        )


@dataclass(frozen=True, eq=False)
class Trajectories:
    """Whole episodes: ``states (n, T+1, N, D)``, ``graphs (n, T, N, N)``, ``regime (n,)``,
    ``targets (n, N)``, optional ``actions (n, T, A)``."""

    states: np.ndarray
    graphs: np.ndarray
    regime: np.ndarray
    targets: np.ndarray
    actions: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    def transitions(self) -> TransitionData:
        """Flatten to single transitions (trajectory-major order)."""
        n, T1, N, D = self.states.shape
        T = T1 - 1
        g = self.graphs.reshape(n * T, N, N)
        return TransitionData(
            self.states[:, :-1].reshape(n * T, N, D),
            self.states[:, 1:].reshape(n * T, N, D),
            np.repeat(self.regime, T),
            g,
            g.any(axis=(1, 2)),
            np.repeat(self.targets, T, axis=0),
            None if self.actions is None else self.actions.reshape(n * T, -1),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class ContactBalls2D:
    """Unit box with ``n_balls`` elastic balls and ``n_ghosts`` distractors (brief, Data).

    Ghosts bounce off walls only and pass through everything; their graph rows and columns are
    always empty. Token features: ``[(x - 0.5)/0.3, (y - 0.5)/0.3, vx, vy]``; the model adds the
    object-index one-hot itself.
    """

    n_balls: int = 4  # real balls
    n_ghosts: int = 2  # distractor balls
    radius: float = 0.08
    dt: float = 0.05
    speed: tuple[float, float] = (0.5, 1.5)  # initial speed range
    collision_course: float = 0.3  # share of episodes with two real balls aimed at each other

    def __post_init__(self) -> None:
        check_int(self.n_balls, "n_balls", minimum=2)
        check_int(self.n_ghosts, "n_ghosts", minimum=0)
        check_positive(self.radius, "radius")
        check_positive(self.dt, "dt")

    @property
    def n_objects(self) -> int:
        return self.n_balls + self.n_ghosts

    def _init(self, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        K, r = self.n_objects, self.radius
        pos = rng.uniform(r, 1 - r, size=(m, K, 2))
        nb = self.n_balls
        for _ in range(1000):  # rejection: real balls start apart
            d = np.linalg.norm(pos[:, :nb, None] - pos[:, None, :nb], axis=-1)
            d[:, np.arange(nb), np.arange(nb)] = np.inf
            bad = (d < 2 * r * 1.05).any(axis=(1, 2))
            if not bad.any():
                break
            pos[bad, :nb] = rng.uniform(r, 1 - r, size=(int(bad.sum()), nb, 2))
        spd = rng.uniform(*self.speed, size=(m, K))
        ang = rng.uniform(0, 2 * np.pi, size=(m, K))
        vel = np.stack([np.cos(ang), np.sin(ang)], -1) * spd[..., None]
        aim = rng.random(m) < self.collision_course
        if aim.any():
            k = int(aim.sum())
            a = rng.integers(0, nb, size=k)
            b = (a + rng.integers(1, nb, size=k)) % nb
            rows = np.flatnonzero(aim)
            u = pos[rows, b] - pos[rows, a]
            u /= np.linalg.norm(u, axis=-1, keepdims=True)
            vel[rows, a] = u * spd[rows, a, None]
        return pos, vel

    def simulate(
        self, n_traj: int, steps: int, *, rng: np.random.Generator,
        regime: Regime | None = None, regime_id: int = 0,
    ) -> Trajectories:
        """Simulate ``n_traj`` episodes of ``steps`` transitions under one ``regime``."""
        check_int(n_traj, "n_traj", minimum=1)
        check_int(steps, "steps", minimum=1)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"`rng` must be a numpy.random.Generator, got {type(rng).__name__}")
        regime = regime or Regime()
        if regime.target is not None and regime.target >= self.n_balls:
            raise ValueError(
                f"`regime.target` must be a real ball (< {self.n_balls}), got {regime.target}"
            )
        K, nb, r, dt = self.n_objects, self.n_balls, self.radius, self.dt
        pos, vel = self._init(n_traj, rng)
        states = np.empty((n_traj, steps + 1, K, 4))
        graphs = np.zeros((n_traj, steps, K, K), dtype=bool)
        states[:, 0] = self._features(pos, vel)
        pairs = [(i, j) for i in range(nb) for j in range(i + 1, nb)]
        for t in range(steps):
            vel = regime.apply(vel, dt)
            tent = pos + vel * dt
            for i, j in pairs:
                dx = tent[:, i] - tent[:, j]
                dist = np.linalg.norm(dx, axis=-1)
                dv = vel[:, i] - vel[:, j]
                hit = (dist < 2 * r) & ((dx * dv).sum(-1) < 0)
                if hit.any():
                    n = dx[hit] / np.maximum(dist[hit], 1e-12)[:, None]
                    vi, vj = vel[hit, i], vel[hit, j]
                    ci, cj = (vi * n).sum(-1, keepdims=True), (vj * n).sum(-1, keepdims=True)
                    vel[hit, i] = vi + (cj - ci) * n
                    vel[hit, j] = vj + (ci - cj) * n
                    graphs[hit, t, i, j] = graphs[hit, t, j, i] = True
            low, high = tent < r, tent > 1 - r
            vel = np.where((low & (vel < 0)) | (high & (vel > 0)), -vel, vel)
            pos = pos + vel * dt
            states[:, t + 1] = self._features(pos, vel)
        return Trajectories(
            states=states, graphs=graphs, regime=np.full(n_traj, regime_id, dtype=np.int64),
            targets=np.repeat(regime.target_vector(K)[None], n_traj, axis=0),
            meta={"regime": regime.name},
        )

    def study(
        self, regimes: tuple[Regime, ...] | list[Regime], n_traj: int, steps: int, *,
        rng: np.random.Generator,
    ) -> Trajectories:
        """``n_traj`` episodes per regime, regime ids = positions in ``regimes``."""
        parts = [self.simulate(n_traj, steps, rng=rng, regime=g, regime_id=i)
                 for i, g in enumerate(regimes)]
        return Trajectories(
            states=np.concatenate([p.states for p in parts]),
            graphs=np.concatenate([p.graphs for p in parts]),
            regime=np.concatenate([p.regime for p in parts]),
            targets=np.concatenate([p.targets for p in parts]),
            meta={"regimes": [g.name for g in regimes]},
        )

    @staticmethod
    def _features(pos: np.ndarray, vel: np.ndarray) -> np.ndarray:
        return np.concatenate([(pos - 0.5) / 0.3, vel], axis=-1)


def _check_transitions(data: TransitionData, name: str = "data") -> TransitionData:
    if not isinstance(data, TransitionData):
        raise TypeError(f"`{name}` must be a TransitionData, got {type(data).__name__}")
    check_array(data.states, f"{name}.states", ndim=3)
    check_array(data.next_states, f"{name}.next_states", shape=data.states.shape)
    return data
