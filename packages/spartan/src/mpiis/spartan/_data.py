"""Residual standardisation, the contact-oversampling batch sampler and the trajectory loader
(brief, Method 6-7 and Data "User data")."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mpiis.shared.validation import check_array, check_fraction, check_int

from ._env import Trajectories, TransitionData

__all__ = ["ContactSampler", "Standardizer", "load_trajectories"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Standardizer:
    """Mean ``mu`` and scale ``sigma`` of the residual ``s_{t+1} - s_t`` per feature: the model
    predicts ``(s_{t+1} - s_t - mu) / sigma`` (brief, Method 6). Features that never change
    get ``sigma = 1``."""

    mu: np.ndarray  # (D,)
    sigma: np.ndarray  # (D,)

    @classmethod
    def fit(cls, data: TransitionData) -> Standardizer:
        d = (data.next_states - data.states).reshape(-1, data.states.shape[-1])
        check_array(d, "data residuals", ndim=2)
        mu, sd = d.mean(0), d.std(0)
        return cls(mu=mu, sigma=np.where(sd > 1e-8, sd, 1.0))

    def targets(self, data: TransitionData) -> np.ndarray:
        """``(M, N, D)`` standardised residuals."""
        return (data.next_states - data.states - self.mu) / self.sigma


class ContactSampler:
    """Minibatch indices with a fixed share of contact transitions (brief, Method 7).

    Each batch draws ``round(contact_fraction * batch_size)`` indices (with replacement) from
    transitions with at least one contact and the rest from those without; with
    ``contact_fraction=None`` it draws uniformly from all transitions.

    Args:
        contact: ``(M,)`` bool contact mask.
        batch_size: indices per batch.
        contact_fraction: share of contact transitions, or ``None`` to switch it off.
        rng: a ``numpy.random.Generator``.
    """

    def __init__(self, contact: np.ndarray, batch_size: int, *,
                 contact_fraction: float | None = 0.5, rng: np.random.Generator) -> None:
        contact = np.asarray(contact, dtype=bool)
        if contact.ndim != 1 or contact.size == 0:
            raise ValueError(f"`contact` must be a non-empty 1-D mask, got shape {contact.shape}")
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        if contact_fraction is not None:
            check_fraction(contact_fraction, "contact_fraction")
            if not contact.any() or contact.all():
                log.warning("contact oversampling needs both contact and no-contact "
                            "transitions; sampling uniformly")
                contact_fraction = None
        self.contact_fraction = contact_fraction
        self.pos, self.neg = np.flatnonzero(contact), np.flatnonzero(~contact)
        self.n = contact.size
        self.rng = rng

    def sample(self) -> np.ndarray:
        if self.contact_fraction is None:
            return self.rng.integers(0, self.n, size=self.batch_size)
        k = round(self.contact_fraction * self.batch_size)
        return np.concatenate([
            self.pos[self.rng.integers(0, self.pos.size, size=k)],
            self.neg[self.rng.integers(0, self.neg.size, size=self.batch_size - k)],
        ])

    def __iter__(self) -> Iterator[np.ndarray]:
        while True:
            yield self.sample()

    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]


def _read(path: Path) -> dict[str, np.ndarray]:
    if path.suffix.lower() in (".h5", ".hdf5"):
        try:
            import h5py
        except ImportError as exc:
            raise ImportError(
                'reading HDF5 needs h5py: `pip install "mpiis-spartan[hdf5]"`') from exc
        with h5py.File(path, "r") as fh:
            return {k: np.asarray(fh[k]) for k in fh.keys()}
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def load_trajectories(path: str | os.PathLike) -> Trajectories:
    """Read episodes from ``.npz`` (or ``.h5``/``.hdf5`` with the ``hdf5`` extra).

    Keys: ``states`` ``(n_traj, T+1, N, D)`` (required); optional ``actions (n_traj, T, A)``,
    ``regime (n_traj,)`` ints, ``graphs (n_traj, T, N, N)`` bools, ``targets (n_traj, N)``.
    Episodes with NaN/Inf anywhere are dropped, counted and named in one warning (and in
    ``meta["dropped"]``); a load never fails over one bad episode.

    Raises:
        ValueError: a missing ``states`` key, wrong ranks or inconsistent sizes.
    """
    path = Path(path)
    raw = _read(path)
    if "states" not in raw:
        raise ValueError(f"`{path}` must contain a 'states' array, found keys {sorted(raw)}")
    states = check_array(raw["states"], "states", ndim=4, finite=False)
    n, T1, N, _ = states.shape
    if T1 < 2:
        raise ValueError(f"`states` must hold at least 2 time steps, got shape {states.shape}")
    regime = np.zeros(n, dtype=np.int64)
    if "regime" in raw:
        regime = check_array(raw["regime"], "regime", shape=(n,), dtype="numeric").astype(np.int64)
    graphs = np.zeros((n, T1 - 1, N, N), dtype=bool)
    if "graphs" in raw:
        graphs = check_array(raw["graphs"], "graphs", shape=(n, T1 - 1, N, N), dtype="numeric",
                             finite=False)
        graphs = np.nan_to_num(graphs.astype(np.float64)) != 0
    targets = np.zeros((n, N), dtype=bool)
    if "targets" in raw:
        targets = check_array(raw["targets"], "targets", shape=(n, N), dtype="numeric") != 0
    actions = None
    if "actions" in raw:
        actions = check_array(raw["actions"], "actions", ndim=3, finite=False)
        if actions.shape[:2] != (n, T1 - 1):
            raise ValueError(f"`actions` must have shape ({n}, {T1 - 1}, A), got {actions.shape}")
    ok = np.isfinite(states).reshape(n, -1).all(1)
    if actions is not None:
        ok &= np.isfinite(actions).reshape(n, -1).all(1)
    dropped = [int(i) for i in np.flatnonzero(~ok)]
    if dropped:
        log.warning("load_trajectories(%s): dropped %d of %d episodes with NaN/Inf values "
                    "(indices %s)", path, len(dropped), n, dropped[:20])
    if not ok.any():
        raise ValueError(f"`{path}`: every episode has NaN/Inf values; nothing to load")
    return Trajectories(
        states=states[ok].astype(np.float64), graphs=graphs[ok], regime=regime[ok],
        targets=targets[ok], actions=None if actions is None else actions[ok],
        meta={"path": str(path), "dropped": dropped, "n_loaded": int(ok.sum())},
    )
