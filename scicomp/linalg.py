"""Linear algebra on any backend: ``MatrixOperations``.

Static methods with the original framework's names, each taking ``backend=``
(default: the configured one). Numeric results are arrays of the backend that
ran (0-d for scalars such as a determinant: ``float(r)`` reads them);
predicates return Python bools.

``solve`` and ``inverse`` compute the condition number first: above 1e12 they
emit :class:`scicomp.IllConditionedWarning`; a matrix singular to working
precision raises ``numpy.linalg.LinAlgError`` on every backend (TensorFlow
and CuPy on the GPU would otherwise return garbage silently).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ._validation import _is_symbolic, as_array, check_choice, element_count, resolve_backend
from .backends import Backend
from .errors import IllConditionedWarning

__all__ = ["MatrixOperations", "ILL_CONDITIONED_THRESHOLD"]

ILL_CONDITIONED_THRESHOLD = 1e12
BackendLike = str | Backend | None


def _matrix(b: Backend, a: Any, name: str = "A", square: bool = False) -> Any:
    arr = as_array(b, a, name, ndim=2)
    if square and arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name}: expected a square matrix, got shape {tuple(arr.shape)}")
    return arr


def _eps(b: Backend) -> float:
    return float(np.finfo(b.precision).eps)


class MatrixOperations:
    """Matrix operations that run on whichever backend is configured or named."""

    @staticmethod
    def condition_number(A: Any, p: Any = None, *, backend: BackendLike = None) -> Any:
        """Condition number in the ``p`` norm (None: 2-norm), as numpy.linalg.cond."""
        b = resolve_backend(backend, "linalg", element_count(A))
        check_choice("p", p, (None, 1, -1, 2, -2, np.inf, -np.inf, "fro", "nuc"))
        with b.scope():
            return b.linalg.cond(_matrix(b, A, square=p not in (None, 2, -2)), p)

    @staticmethod
    def matrix_multiply(A: Any, B: Any, *, backend: BackendLike = None) -> Any:
        """``A @ B`` for matrices or vectors, with a clear message when shapes disagree."""
        b = resolve_backend(backend, "linalg", element_count(A))
        a = as_array(b, A, "A", ndim=(1, 2))
        m = as_array(b, B, "B", ndim=(1, 2))
        inner_a = a.shape[-1]
        inner_b = m.shape[0]
        if inner_a != inner_b:
            raise ValueError(
                f"matrix_multiply: A has shape {tuple(a.shape)} and B has shape {tuple(m.shape)}; "
                f"A's columns ({inner_a}) must equal B's rows ({inner_b})"
            )
        with b.scope():
            return b.xp.matmul(a, m)

    @staticmethod
    def matrix_power(A: Any, n: int, *, backend: BackendLike = None) -> Any:
        """``A`` to the integer power ``n`` by repeated squaring (negative: of the inverse)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"n={n!r}: the power must be an integer")
        b = resolve_backend(backend, "linalg", element_count(A))
        a = _matrix(b, A, square=True)
        with b.scope():
            if n < 0:
                a = MatrixOperations.inverse(a, backend=b)
                n = -n
            result = b.xp.eye(a.shape[0], dtype=a.dtype)
            base = a
            while n:
                if n & 1:
                    result = b.xp.matmul(result, base)
                n >>= 1
                if n:
                    base = b.xp.matmul(base, base)
            return result

    @staticmethod
    def trace(A: Any, *, backend: BackendLike = None) -> Any:
        """Sum of the diagonal of a square matrix."""
        b = resolve_backend(backend, "linalg", element_count(A))
        a = _matrix(b, A, square=True)
        with b.scope():
            return b.xp.sum(a * b.xp.eye(a.shape[0], dtype=a.dtype))

    @staticmethod
    def determinant(A: Any, *, backend: BackendLike = None) -> Any:
        b = resolve_backend(backend, "linalg", element_count(A))
        with b.scope():
            return b.linalg.det(_matrix(b, A, square=True))

    @staticmethod
    def rank(A: Any, tol: float | None = None, *, backend: BackendLike = None) -> Any:
        """Numerical rank: singular values above ``tol`` (default as numpy.linalg.matrix_rank)."""
        b = resolve_backend(backend, "linalg", element_count(A))
        with b.scope():
            return b.linalg.matrix_rank(_matrix(b, A), tol)

    @staticmethod
    def _checked_condition(b: Backend, a: Any, what: str) -> None:
        """Raise LinAlgError for a singular matrix; warn when it is ill-conditioned (skipped inside tf.function)."""
        cond = b.linalg.cond(a)
        if _is_symbolic(cond):  # tracing: the value is unknown until the graph runs
            return
        cond = float(b.to_numpy(cond))
        if not np.isfinite(cond) or cond * _eps(b) >= 1.0:
            raise np.linalg.LinAlgError(
                f"{what}: the matrix is singular to working precision (condition number {cond:.3g} in {b.precision})"
            )
        if cond > ILL_CONDITIONED_THRESHOLD:
            warnings.warn(
                f"{what}: the matrix is ill-conditioned (condition number {cond:.3g} > {ILL_CONDITIONED_THRESHOLD:g}); "
                "the result may be inaccurate",
                IllConditionedWarning,
                stacklevel=3,
            )

    @staticmethod
    def inverse(A: Any, *, backend: BackendLike = None) -> Any:
        """Inverse of a square matrix; warns when ill-conditioned, raises LinAlgError when singular."""
        b = resolve_backend(backend, "linalg", element_count(A))
        a = _matrix(b, A, square=True)
        with b.scope():
            MatrixOperations._checked_condition(b, a, "inverse")
            return b.linalg.inv(a)

    @staticmethod
    def solve(A: Any, b: Any, *, backend: BackendLike = None) -> Any:
        """Solve ``A x = b`` for x (b a vector or a matrix of right-hand sides).

        Warns when ``A`` is ill-conditioned and raises LinAlgError when it is singular.
        """
        bk = resolve_backend(backend, "linalg", element_count(A))
        a, rhs = MatrixOperations._system(bk, A, b, "solve", square=True)
        with bk.scope():
            MatrixOperations._checked_condition(bk, a, "solve")
            return bk.linalg.solve(a, rhs)

    @staticmethod
    def lstsq(A: Any, b: Any, *, backend: BackendLike = None) -> tuple[Any, Any, Any, Any]:
        """Least-squares solution: ``(x, residuals, rank, singular_values)`` as numpy.linalg.lstsq."""
        bk = resolve_backend(backend, "linalg", element_count(A))
        a, rhs = MatrixOperations._system(bk, A, b, "lstsq", square=False)
        with bk.scope():
            return bk.linalg.lstsq(a, rhs)

    @staticmethod
    def _system(bk: Backend, A: Any, b: Any, what: str, square: bool) -> tuple[Any, Any]:
        a = _matrix(bk, A, square=square)
        rhs = as_array(bk, b, "b", ndim=(1, 2))
        if rhs.shape[0] != a.shape[0]:
            raise ValueError(
                f"{what}: A has shape {tuple(a.shape)} but b has shape {tuple(rhs.shape)}; b needs {a.shape[0]} rows"
            )
        return a, rhs

    @staticmethod
    def eigenvalues(A: Any, symmetric: bool | None = None, *, backend: BackendLike = None) -> Any:
        """Eigenvalues: real and ascending for symmetric matrices (eigh), complex otherwise (eig).

        ``symmetric=None`` tests the matrix with :meth:`is_symmetric`.
        """
        b = resolve_backend(backend, "linalg", element_count(A))
        a = _matrix(b, A, square=True)
        if symmetric is None:
            symmetric = MatrixOperations.is_symmetric(a, backend=b)
            if _is_symbolic(symmetric):
                raise ValueError("symmetric=None: cannot test the matrix inside tf.function; pass symmetric=True or False")
        with b.scope():
            return b.linalg.eigh(a)[0] if symmetric else b.linalg.eig(a)[0]

    @staticmethod
    def svd(A: Any, full_matrices: bool = True, compute_uv: bool = True, *, backend: BackendLike = None) -> Any:
        """``(U, s, Vh)`` with ``A = U @ diag(s) @ Vh`` (or ``s`` alone), as scipy.linalg.svd."""
        b = resolve_backend(backend, "linalg", element_count(A))
        with b.scope():
            return b.linalg.svd(_matrix(b, A), full_matrices=full_matrices, compute_uv=compute_uv)

    @staticmethod
    def qr(A: Any, mode: str = "reduced", *, backend: BackendLike = None) -> tuple[Any, Any]:
        """``(Q, R)`` with ``A = Q @ R``; mode 'reduced' or 'complete'."""
        b = resolve_backend(backend, "linalg", element_count(A))
        check_choice("mode", mode, ("reduced", "complete"))
        with b.scope():
            return b.linalg.qr(_matrix(b, A), mode=mode)

    @staticmethod
    def lu(A: Any, *, backend: BackendLike = None) -> tuple[Any, Any, Any]:
        """``(P, L, U)`` with ``A = P @ L @ U``, as scipy.linalg.lu."""
        b = resolve_backend(backend, "linalg", element_count(A))
        with b.scope():
            return b.linalg.lu(_matrix(b, A, square=True))

    @staticmethod
    def cholesky(A: Any, *, backend: BackendLike = None) -> Any:
        """Lower-triangular ``L`` with ``A = L @ L.T``; LinAlgError if A is not positive definite."""
        b = resolve_backend(backend, "linalg", element_count(A))
        a = _matrix(b, A, square=True)
        symmetric = MatrixOperations.is_symmetric(a, backend=b)
        if not _is_symbolic(symmetric) and not symmetric:
            raise np.linalg.LinAlgError("cholesky: the matrix is not symmetric, so not positive definite")
        with b.scope():
            lower = b.linalg.cholesky(a)
            finite = b.xp.all(b.xp.isfinite(lower))
            if not _is_symbolic(finite) and not bool(finite):  # GPU routines return NaN instead of raising
                raise np.linalg.LinAlgError("cholesky: the matrix is not positive definite")
            return lower

    @staticmethod
    def frobenius_norm(A: Any, *, backend: BackendLike = None) -> Any:
        b = resolve_backend(backend, "linalg", element_count(A))
        with b.scope():
            return b.linalg.norm(_matrix(b, A), "fro")

    @staticmethod
    def spectral_norm(A: Any, *, backend: BackendLike = None) -> Any:
        """Largest singular value."""
        b = resolve_backend(backend, "linalg", element_count(A))
        with b.scope():
            return b.linalg.norm(_matrix(b, A), 2)

    @staticmethod
    def nuclear_norm(A: Any, *, backend: BackendLike = None) -> Any:
        """Sum of the singular values."""
        b = resolve_backend(backend, "linalg", element_count(A))
        with b.scope():
            return b.linalg.norm(_matrix(b, A), "nuc")

    @staticmethod
    def is_symmetric(A: Any, rtol: float = 1e-10, atol: float = 1e-12, *, backend: BackendLike = None) -> bool:
        """Whether ``A`` equals its transpose within ``atol + rtol * |A.T|`` elementwise."""
        b = resolve_backend(backend, "linalg", element_count(A))
        a = _matrix(b, A)
        if a.shape[0] != a.shape[1]:
            return False
        xp = b.xp
        with b.scope():
            at = xp.matrix_transpose(a) if hasattr(xp, "matrix_transpose") else a.T
            result = xp.all(xp.abs(a - at) <= atol + rtol * xp.abs(at))
            return result if _is_symbolic(result) else bool(result)  # inside tf.function: a boolean tensor

    @staticmethod
    def is_positive_definite(A: Any, *, backend: BackendLike = None) -> bool:
        """Whether ``A`` is symmetric with a Cholesky factorisation."""
        b = resolve_backend(backend, "linalg", element_count(A))
        a = _matrix(b, A)
        symmetric = MatrixOperations.is_symmetric(a, backend=b)
        if _is_symbolic(symmetric):  # inside tf.function: a boolean tensor, from the eigenvalues of the symmetric part
            xp = b.xp
            lowest = xp.min(b.linalg.eigh(0.5 * (a + xp.matrix_transpose(a)))[0])
            return xp.logical_and(symmetric, lowest > 0)
        if not symmetric:
            return False
        try:
            MatrixOperations.cholesky(a, backend=b)
        except np.linalg.LinAlgError:
            return False
        return True
