"""MatrixOperations on every backend against NumPy/SciPy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

import scicomp
from scicomp import MatrixOperations as MO
from tests.conftest import rtol_for, to_np

RNG = np.random.default_rng(11)
A = RNG.standard_normal((6, 6))
SPD = A @ A.T + 6 * np.eye(6)
RECT = RNG.standard_normal((8, 5))
VEC = RNG.standard_normal(6)


def close(got, want, precision="float64"):
    rtol = rtol_for(precision)
    np.testing.assert_allclose(to_np(got), want, rtol=rtol, atol=rtol * max(1.0, np.abs(want).max()))


def test_scalar_results(backend_name, precision):
    kw = {"backend": backend_name}
    close(MO.condition_number(A, **kw), np.linalg.cond(A), precision)
    close(MO.condition_number(A, 1, **kw), np.linalg.cond(A, 1), precision)
    close(MO.condition_number(RECT, **kw), np.linalg.cond(RECT), precision)
    close(MO.determinant(A, **kw), np.linalg.det(A), precision)
    close(MO.trace(A, **kw), np.trace(A), precision)
    assert int(to_np(MO.rank(A, **kw))) == 6
    assert int(to_np(MO.rank(np.outer(VEC, VEC), **kw))) == 1
    close(MO.frobenius_norm(A, **kw), np.linalg.norm(A, "fro"), precision)
    close(MO.spectral_norm(A, **kw), np.linalg.norm(A, 2), precision)
    close(MO.nuclear_norm(A, **kw), np.linalg.norm(A, "nuc"), precision)


def test_results_stay_on_the_backend(backend):
    out = MO.matrix_multiply(A, A, backend=backend.name)
    assert backend.owns(out)
    assert backend.owns(MO.inverse(backend.asarray(A), backend=backend.name))


def test_products_and_powers(backend_name):
    kw = {"backend": backend_name}
    close(MO.matrix_multiply(A, RECT[:6], **kw), A @ RECT[:6])
    close(MO.matrix_multiply(A, VEC, **kw), A @ VEC)
    close(MO.matrix_multiply(VEC, A, **kw), VEC @ A)
    for n in (0, 1, 2, 5, -3):
        close(MO.matrix_power(A, n, **kw), np.linalg.matrix_power(A, n))


def test_solve_inverse_lstsq(backend_name, precision):
    kw = {"backend": backend_name}
    close(MO.solve(A, VEC, **kw), np.linalg.solve(A, VEC), precision)
    close(MO.solve(A, RECT[:6], **kw), np.linalg.solve(A, RECT[:6]), precision)
    close(MO.solve(A=A, b=VEC, **kw), np.linalg.solve(A, VEC), precision)
    close(MO.inverse(A, **kw), np.linalg.inv(A), precision)
    rhs = RNG.standard_normal(8)
    x, res, rank, s = MO.lstsq(RECT, rhs, **kw)
    ref = np.linalg.lstsq(RECT, rhs, rcond=None)
    close(x, ref[0], precision)
    close(res, ref[1], precision)
    assert int(to_np(rank)) == ref[2]
    close(s, ref[3], precision)


def test_decompositions(backend_name):
    kw = {"backend": backend_name}
    close(MO.eigenvalues(SPD, **kw), np.linalg.eigvalsh(SPD))
    ev = np.sort_complex(to_np(MO.eigenvalues(A, **kw)).astype(complex))
    np.testing.assert_allclose(ev, np.sort_complex(np.linalg.eigvals(A)), rtol=1e-9)
    assert to_np(MO.eigenvalues(A, symmetric=False, **kw)).dtype.kind == "c"
    u, s, vh = MO.svd(RECT, **kw)
    assert to_np(u).shape == (8, 8) and to_np(vh).shape == (5, 5)
    close(s, scipy.linalg.svd(RECT, compute_uv=False))
    u, s, vh = MO.svd(RECT, full_matrices=False, **kw)
    close(to_np(u) * to_np(s) @ to_np(vh), RECT)
    q, r = MO.qr(RECT, **kw)
    close(to_np(q) @ to_np(r), RECT)
    assert to_np(q).shape == (8, 5)
    q, r = MO.qr(RECT, mode="complete", **kw)
    assert to_np(q).shape == (8, 8)
    p, lower, upper = MO.lu(A, **kw)
    rp, rl, ru = scipy.linalg.lu(A)
    close(p, rp)
    close(lower, rl)
    close(upper, ru)
    close(MO.cholesky(SPD, **kw), np.linalg.cholesky(SPD))


def test_predicates(backend_name):
    kw = {"backend": backend_name}
    assert MO.is_symmetric(SPD, **kw) is True
    assert MO.is_symmetric(A, **kw) is False
    assert MO.is_symmetric(RECT, **kw) is False
    assert MO.is_positive_definite(SPD, **kw) is True
    assert MO.is_positive_definite(-SPD, **kw) is False
    assert MO.is_positive_definite(A, **kw) is False


def test_singular_matrix_raises_everywhere(backend_name):
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    for call in (
        lambda: MO.inverse(singular, backend=backend_name),
        lambda: MO.solve(singular, [1.0, 2.0], backend=backend_name),
    ):
        with pytest.raises(np.linalg.LinAlgError, match="singular"):
            call()
    with pytest.raises(np.linalg.LinAlgError, match="positive definite"):
        MO.cholesky(-SPD, backend=backend_name)


def test_ill_conditioned_warns(backend_name):
    hilbert = scipy.linalg.hilbert(9)  # condition number ~5e11 .. hilbert(10) ~1.6e13
    with warnings.catch_warnings():
        warnings.simplefilter("error", scicomp.IllConditionedWarning)
        MO.solve(hilbert, np.ones(9), backend=backend_name)  # below the threshold: no warning
    with pytest.warns(scicomp.IllConditionedWarning, match="ill-conditioned"):
        MO.solve(scipy.linalg.hilbert(10), np.ones(10), backend=backend_name)
    with pytest.warns(scicomp.IllConditionedWarning):
        MO.inverse(scipy.linalg.hilbert(10), backend=backend_name)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: MO.matrix_multiply(np.ones((2, 3)), np.ones((4, 2))), r"A's columns \(3\) must equal B's rows \(4\)"),
        (lambda: MO.solve(np.ones((2, 3)), np.ones(2)), "square"),
        (lambda: MO.solve(np.eye(3), np.ones(4)), "b needs 3 rows"),
        (lambda: MO.determinant(np.ones(3)), "2-D"),
        (lambda: MO.inverse([[1.0, np.nan], [0.0, 1.0]]), "NaN"),
        (lambda: MO.trace(np.zeros((0, 0))), "empty"),
        (lambda: MO.matrix_power(np.eye(2), 1.5), "integer"),
        (lambda: MO.condition_number(np.eye(2), p=3), "p=3"),
        (lambda: MO.qr(np.eye(2), mode="full"), "mode"),
        (lambda: MO.determinant("abc"), "numeric"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 6), seed=st.integers(0, 2**31 - 1))
def test_backends_agree_on_random_systems(n, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n)) + n * np.eye(n)  # diagonally dominant: well conditioned
    rhs = rng.standard_normal(n)
    ref = np.linalg.solve(a, rhs)
    for name in scicomp.available_backends():
        np.testing.assert_allclose(to_np(MO.solve(a, rhs, backend=name)), ref, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(float(to_np(MO.determinant(a, backend=name))), np.linalg.det(a), rtol=1e-9)
