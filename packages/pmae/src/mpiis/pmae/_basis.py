"""The fixed PCA basis of PMAE (paper Sec. 3, "principal components as masking units")."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from mpiis.shared.validation import check_choice, check_int

from ._checks import as_images, check_image_shape, describe, has_values

__all__ = ["PCABasis"]

#: above this many pixels a dense D x D eigendecomposition is refused without ``n_components``
MAX_DENSE_DIM = 16_384
#: largest rank computed with ``torch.svd_lowrank`` in the truncated path
MAX_LOWRANK = 1_024
#: Gram route: eigenvalues below this share of the largest are the numerical null space
GRAM_RANK_RTOL = 1e-9


class PCABasis:
    """A frozen, per-pixel-standardised PCA basis of a set of images (paper Sec. 3).

    Images ``(N, C, H, W)`` are flattened over all pixels and channels jointly (``D = C*H*W``),
    standardised with the per-dimension training mean ``mu`` and std ``s`` (std 0 -> 1), and
    decomposed: ``Z^T Z / (N - 1) = V diag(lambda) V^T`` with ``V`` (D, K) orthonormal, columns
    sorted by decreasing eigenvalue. No whitening: coefficient ``k`` has variance ``lambda_k``.

    Attributes:
        image_shape: ``(C, H, W)``.
        mean: ``(D,)`` float32 per-dimension mean.
        std: ``(D,)`` float32 per-dimension std (1 where the training std was 0).
        components: ``(D, K)`` float32, orthonormal columns.
        eigenvalues: ``(K,)`` float32, decreasing, >= 0.
        explained_variance_ratio: ``(K,)`` float32, ``lambda_k / trace`` (sums to 1 when K = D).
    """

    def __init__(
        self,
        *,
        image_shape: tuple[int, int, int],
        mean: torch.Tensor,
        std: torch.Tensor,
        components: torch.Tensor,
        eigenvalues: torch.Tensor,
        explained_variance_ratio: torch.Tensor,
    ) -> None:
        self.image_shape = tuple(int(s) for s in image_shape)
        d = math.prod(self.image_shape)
        if components.ndim != 2 or components.shape[0] != d:
            raise ValueError(
                f"`components` must have shape ({d}, K) for image shape {self.image_shape}, "
                f"got {tuple(components.shape)}"
            )
        k = components.shape[1]
        for name, t, n in (("mean", mean, d), ("std", std, d), ("eigenvalues", eigenvalues, k),
                           ("explained_variance_ratio", explained_variance_ratio, k)):
            if t.shape != (n,):
                raise ValueError(f"`{name}` must have shape ({n},), got {tuple(t.shape)}")
            if has_values(t) and not bool(torch.isfinite(t).all()):
                raise ValueError(f"`{name}` must be finite")
        if has_values(std) and not bool((std > 0).all()):
            raise ValueError("`std` must be > 0 everywhere")
        self.mean = mean.float()
        self.std = std.float()
        self.components = components.float()
        self.eigenvalues = eigenvalues.float()
        self.explained_variance_ratio = explained_variance_ratio.float()

    # ------------------------------------------------------------------ fitting
    @classmethod
    def fit(
        cls,
        images: Any,
        *,
        standardize: bool = True,
        n_components: int | None = None,
        batch_size: int = 4096,
        method: Literal["auto", "covariance", "gram", "lowrank"] = "auto",
    ) -> PCABasis:
        """Fit the basis on training images (paper Sec. 3; official ``pca.py``).

        Mean and std are accumulated in float64 over batches. Three routes give the same basis
        (up to component signs and the numerical null space):

        - ``"covariance"``: the dense D x D float64 covariance and ``torch.linalg.eigh``
          (cost N D^2 + D^3); all D components.
        - ``"gram"``: the N x N Gram matrix ``Z Z^T`` and its ``eigh`` (cost N^2 D + N^3), then
          ``V = Z^T U diag(1 / sqrt((N - 1) lambda))``. It returns the components that carry
          variance, at most N - 1 of them (when N <= D the other D - N + 1 have eigenvalue 0:
          a mask can remove nothing there, and the residual ``x - V V^T x`` of a new image stays
          visible and outside the loss, as for any truncated basis).
        - ``"lowrank"``: ``torch.svd_lowrank`` (randomised, 4 power iterations) for the top
          ``n_components`` when D is too large for either matrix; approximate.

        ``"auto"`` picks ``"gram"`` when N <= D (small image sets, the usual medical case) and
        ``n_components`` is None or at most N - 1, ``"lowrank"`` when D > 16,384 and N > D,
        else ``"covariance"``.

        Args:
            images: ``(N, C, H, W)`` or ``(N, H, W)`` float images in [0, 1], N >= 2.
            standardize: divide by the per-dimension std (PCA of the correlation matrix, the
                paper's choice); ``False`` only centres.
            n_components: keep the top K components (default: all that the route gives).
            batch_size: rows per covariance accumulation step.
            method: the route above.

        Returns:
            The fitted basis, stored as float32 on the images' device.

        Raises:
            ValueError: on bad shapes, fewer than 2 images, NaN/Inf, ``n_components`` outside
                [1, D], or D > 16,384 with N > D and no ``n_components``.
            TypeError: on integer/boolean images.
            RuntimeError: when the fitted components are not orthonormal.
        """
        x = as_images(images, "images")
        if x.shape[0] < 2:
            raise ValueError(
                f"`images` must hold at least 2 images to fit a basis, got {x.shape[0]}")
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        check_choice(method, "method", ("auto", "covariance", "gram", "lowrank"))
        image_shape = tuple(x.shape[1:])
        n, d = x.shape[0], math.prod(image_shape)
        if n_components is not None:
            check_int(n_components, "n_components")
            if not 1 <= n_components <= d:
                raise ValueError(f"`n_components` must lie in [1, {d}] (D), got {n_components}")
        if method == "auto":
            if n <= d and (n_components is None or n_components <= n - 1):
                method = "gram"
            elif d > MAX_DENSE_DIM:
                method = "lowrank"
            else:
                method = "covariance"
        if method == "gram" and n_components is not None and n_components > n - 1:
            raise ValueError(f"`n_components` must be <= N - 1 = {n - 1} with method='gram' "
                             f"(the Gram matrix has rank <= N - 1), got {n_components}")
        if method == "covariance" and d > MAX_DENSE_DIM:
            raise ValueError(f"method='covariance' needs D <= {MAX_DENSE_DIM} (got D = {d}); "
                             "use method='gram' (N <= D) or 'lowrank' with n_components")
        if method == "lowrank":
            if n_components is None:
                raise ValueError(
                    f"`n_components` is required when D = C*H*W > {MAX_DENSE_DIM} and N > D, "
                    f"or with method='lowrank' (got D = {d}, N = {n}); pass n_components <= "
                    f"{MAX_LOWRANK}")
            if n_components > MAX_LOWRANK:
                raise ValueError(f"`n_components` must be <= {MAX_LOWRANK} with the randomised "
                                 f"low-rank route, got {n_components}")
        dev = x.device
        flat = x.reshape(n, d)
        total = torch.zeros(d, dtype=torch.float64, device=dev)
        for i in range(0, n, batch_size):
            total += flat[i : i + batch_size].double().sum(0)
        mean = total / n
        sq = torch.zeros(d, dtype=torch.float64, device=dev)
        for i in range(0, n, batch_size):
            sq += ((flat[i : i + batch_size].double() - mean) ** 2).sum(0)
        std = torch.sqrt(sq / (n - 1))
        if standardize:
            std = torch.where(std > 0, std, torch.ones_like(std))
        else:
            std = torch.ones_like(std)
        trace = float((sq / std**2).sum() / (n - 1))
        if not trace > 0:
            raise ValueError("`images` have no variance (every image is the same); a PCA basis "
                             "needs at least two different images")

        if method == "lowrank":
            k = int(n_components)  # type: ignore[arg-type]
            z = ((flat.double() - mean) / std).float()
            _, s, v = torch.svd_lowrank(z, q=min(k + 10, min(n, d)), niter=4)
            evals = (s.double() ** 2 / (n - 1))[:k]
            vecs = v[:, :k].double()
        elif method == "gram":
            z = (flat.double() - mean) / std  # (N, D)
            gram = z @ z.T
            lam, u = torch.linalg.eigh(gram)
            lam, u = lam.flip(0), u.flip(1)
            # components that carry variance: the rest of the spectrum is round-off
            keep = int((lam > lam[0].clamp_min(0) * GRAM_RANK_RTOL).sum())
            keep = max(1, min(keep, n - 1))
            if n_components is not None:
                keep = min(keep, int(n_components))
            lam, u = lam[:keep].clamp_min(torch.finfo(torch.float64).tiny), u[:, :keep]
            vecs = (z.T @ u) / torch.sqrt(lam)
            evals = lam / (n - 1)
        else:
            cov = torch.zeros(d, d, dtype=torch.float64, device=dev)
            for i in range(0, n, batch_size):
                z = (flat[i : i + batch_size].double() - mean) / std
                cov += z.T @ z
            cov /= n - 1
            evals, vecs = torch.linalg.eigh(cov)
            evals, vecs = evals.flip(0), vecs.flip(1)
            if n_components is not None:
                evals, vecs = evals[:n_components], vecs[:, :n_components]
        evals = evals.clamp_min(0.0)
        # deterministic sign: the largest-magnitude entry of each component is positive
        idx = vecs.abs().argmax(0)
        signs = torch.sign(vecs[idx, torch.arange(vecs.shape[1], device=dev)])
        signs = torch.where(signs == 0, torch.ones_like(signs), signs)
        vecs = vecs * signs
        gram_v = vecs.T @ vecs
        eye = torch.eye(gram_v.shape[0], dtype=gram_v.dtype, device=dev)
        err = float((gram_v - eye).abs().max())
        if not err < 1e-4:
            raise RuntimeError(f"PCA components are not orthonormal (max |V^T V - I| = {err:.2e})")
        evr = evals / trace if trace > 0 else torch.zeros_like(evals)
        return cls(
            image_shape=image_shape,  # type: ignore[arg-type]
            mean=mean.float(),
            std=std.float(),
            components=vecs.float(),
            eigenvalues=evals.float(),
            explained_variance_ratio=evr.float(),
        )

    @classmethod
    def from_official(
        cls,
        pc_matrix: Any,
        eigenvalues_ratio: Any,
        mean: Any,
        std: Any,
        image_shape: tuple[int, int, int],
    ) -> PCABasis:
        """Build a basis from the official code's saved files.

        Args:
            pc_matrix: ``(K, D)`` components as rows (``pc_matrix.npy``).
            eigenvalues_ratio: ``(K,)`` explained-variance ratios (``eigenvalues_ratio.npy``).
            mean: per-dimension mean, ``(D,)`` or ``image_shape``.
            std: per-dimension std, same shape (zeros become 1).
            image_shape: ``(C, H, W)``.

        Returns:
            The basis; eigenvalues are the ratios times the dimension count (correlation PCA).
        """
        if len(image_shape) != 3:
            raise ValueError(f"`image_shape` must be (C, H, W), got {image_shape!r}")
        d = math.prod(image_shape)
        pcs = torch.as_tensor(np.asarray(pc_matrix, dtype=np.float64))
        if pcs.ndim != 2 or pcs.shape[1] != d:
            raise ValueError(f"`pc_matrix` must have shape (K, {d}), got {tuple(pcs.shape)}")
        evr = torch.as_tensor(np.asarray(eigenvalues_ratio, dtype=np.float64)).reshape(-1)
        if evr.shape[0] != pcs.shape[0]:
            raise ValueError(f"`eigenvalues_ratio` must have {pcs.shape[0]} entries, "
                             f"got {evr.shape[0]}")
        mu = torch.as_tensor(np.asarray(mean, dtype=np.float64)).reshape(-1)
        sd = torch.as_tensor(np.asarray(std, dtype=np.float64)).reshape(-1)
        sd = torch.where(sd > 0, sd, torch.ones_like(sd))
        order = torch.argsort(evr, descending=True, stable=True)
        return cls(
            image_shape=tuple(image_shape),  # type: ignore[arg-type]
            mean=mu.float(),
            std=sd.float(),
            components=pcs[order].T.float().contiguous(),
            eigenvalues=(evr[order] * d).float(),
            explained_variance_ratio=evr[order].float(),
        )

    # ------------------------------------------------------------------ transforms
    @property
    def dim(self) -> int:
        """D = C*H*W."""
        return self.components.shape[0]

    @property
    def n_components(self) -> int:
        """K."""
        return self.components.shape[1]

    @property
    def device(self) -> torch.device:
        return self.components.device

    def to(self, device: Any) -> PCABasis:
        """A copy on ``device``."""
        return PCABasis(
            image_shape=self.image_shape,  # type: ignore[arg-type]
            mean=self.mean.to(device),
            std=self.std.to(device),
            components=self.components.to(device),
            eigenvalues=self.eigenvalues.to(device),
            explained_variance_ratio=self.explained_variance_ratio.to(device),
        )

    def _images(self, x: Any, name: str) -> torch.Tensor:
        t = as_images(x, name)
        check_image_shape(t, self.image_shape, name)  # type: ignore[arg-type]
        return t.to(self.device, torch.float32)

    def standardize(self, x: Any) -> torch.Tensor:
        """``(x - mu) / s`` for images ``(B, C, H, W)``; returns the same shape."""
        t = self._images(x, "x")
        return ((t.reshape(t.shape[0], -1) - self.mean) / self.std).reshape(t.shape)

    def unstandardize(self, x: Any) -> torch.Tensor:
        """Inverse of :meth:`standardize`."""
        t = self._images(x, "x")
        return (t.reshape(t.shape[0], -1) * self.std + self.mean).reshape(t.shape)

    def project(self, x: Any, *, standardized: bool = False) -> torch.Tensor:
        """Coefficients ``c = z V`` (paper Sec. 3) of images ``(B, C, H, W)`` -> ``(B, K)``.

        Args:
            x: raw images in [0, 1] (standardised here), or already standardised images when
                ``standardized=True``.
        """
        t = self._images(x, "x")
        z = t.reshape(t.shape[0], -1)
        if not standardized:
            z = (z - self.mean) / self.std
        return z @ self.components

    def reconstruct(self, c: Any, *, standardized: bool = False) -> torch.Tensor:
        """Images ``c V^T`` from coefficients ``(B, K)`` -> ``(B, C, H, W)``.

        Lossless for K = D. Returns raw-scale images unless ``standardized=True``.
        """
        if not isinstance(c, torch.Tensor | np.ndarray):
            raise TypeError(f"`c` must be a tensor or array, got {describe(c)}")
        ct = torch.as_tensor(c).to(self.device, torch.float32)
        if ct.ndim != 2 or ct.shape[1] != self.n_components:
            raise ValueError(f"`c` must have shape (B, {self.n_components}), got {tuple(ct.shape)}")
        if not bool(torch.isfinite(ct).all()):
            raise ValueError("`c` must be finite, got NaN or Inf values")
        z = ct @ self.components.T
        if not standardized:
            z = z * self.std + self.mean
        return z.reshape(ct.shape[0], *self.image_shape)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write the basis to an ``.npz`` file (no pickle)."""
        with open(Path(path), "wb") as fh:
            self._write(fh)

    def _write(self, fh: Any) -> None:
        np.savez(
            fh,
            image_shape=np.asarray(self.image_shape, dtype=np.int64),
            mean=self.mean.cpu().numpy(),
            std=self.std.cpu().numpy(),
            components=self.components.cpu().numpy(),
            eigenvalues=self.eigenvalues.cpu().numpy(),
            explained_variance_ratio=self.explained_variance_ratio.cpu().numpy(),
            meta=np.asarray(json.dumps({"format": "mpiis.pmae.PCABasis", "version": 1})),
        )

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: Any = "cpu") -> PCABasis:
        """Read a basis written by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"`path` does not name a file: {path}")
        with np.load(path, allow_pickle=False) as z:
            return cls(
                image_shape=tuple(int(s) for s in z["image_shape"]),  # type: ignore[arg-type]
                mean=torch.from_numpy(z["mean"]).to(device),
                std=torch.from_numpy(z["std"]).to(device),
                components=torch.from_numpy(z["components"]).to(device),
                eigenvalues=torch.from_numpy(z["eigenvalues"]).to(device),
                explained_variance_ratio=torch.from_numpy(z["explained_variance_ratio"]).to(device),
            )

    def __repr__(self) -> str:
        return f"PCABasis(image_shape={self.image_shape}, n_components={self.n_components})"
