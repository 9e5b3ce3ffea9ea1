"""Pydantic request and response models of the REST API.

Array fields arrive as JSON lists (or, for one field per endpoint, as an
``application/x-npy`` body) and become float64 NumPy arrays after checks: numeric,
rectangular, the expected rank, finite, and at most ``max_array_elements``
elements (the limit comes from the server's settings through the validation
context). Every failure names its field.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, WithJsonSchema, field_validator, model_validator

__all__ = [
    "Limits",
    "FFTRequest",
    "PSDRequest",
    "BrownianRequest",
    "OptionPriceRequest",
    "MinimizeRequest",
    "ConditionNumberRequest",
    "SolveRequest",
    "FFTResponse",
    "PSDResponse",
    "BrownianResponse",
    "OptionPriceResponse",
    "MinimizeResponse",
    "ConditionNumberResponse",
    "SolveResponse",
    "ErrorResponse",
    "HealthResponse",
    "DetailedHealthResponse",
]

_VECTOR_SCHEMA = {"type": "array", "items": {"type": "number"}, "minItems": 1}
_MATRIX_SCHEMA = {"type": "array", "items": _VECTOR_SCHEMA, "minItems": 1}
Vector = Annotated[Any, WithJsonSchema(_VECTOR_SCHEMA)]
Matrix = Annotated[Any, WithJsonSchema(_MATRIX_SCHEMA)]
VectorOrMatrix = Annotated[Any, WithJsonSchema({"anyOf": [_VECTOR_SCHEMA, _MATRIX_SCHEMA]})]
SEED_MAX = 2**63 - 1


class Limits(BaseModel):
    """Size limits applied while validating a request."""

    max_array_elements: int = 10**6
    max_path_steps: int = 10**7


def _limits(info: ValidationInfo) -> Limits:
    context = info.context or {}
    return context.get("limits") or Limits()


def to_array(value: Any, field: str, ndims: tuple[int, ...], limits: Limits) -> np.ndarray:
    """``value`` as a finite float64 array of one of the ranks ``ndims``, within the element limit."""
    if isinstance(value, np.ndarray):
        arr = value
    else:
        if not isinstance(value, list):
            raise ValueError(f"expected an array (a JSON list of numbers), got {type(value).__name__}")
        try:
            arr = np.asarray(value)
        except ValueError:
            raise ValueError("rows must all have the same length (a rectangular array)") from None
    if arr.dtype.kind not in "iuf" or arr.dtype == object:
        raise ValueError("expected numbers only (a rectangular array of numbers)")
    if arr.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"expected a {want} array, got shape {tuple(arr.shape)}")
    if arr.size == 0 or 0 in arr.shape:
        raise ValueError("must not be empty")
    if arr.size > limits.max_array_elements:
        raise ValueError(f"{arr.size} elements exceed the limit of {limits.max_array_elements} elements per array")
    arr = np.asarray(arr, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValueError("contains a non-finite number (NaN or infinity)")
    return arr


class _Request(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False, extra="forbid", arbitrary_types_allowed=True)


class _SignalRequest(_Request):
    signal: Vector = Field(description="Samples (a 1-D array of real numbers)")
    sampling_rate: float = Field(gt=0, description="Hz")

    @field_validator("signal", mode="before")
    @classmethod
    def _signal(cls, value: Any, info: ValidationInfo) -> np.ndarray:
        return to_array(value, "signal", (1,), _limits(info))


class FFTRequest(_SignalRequest):
    """Magnitude spectrum of a real signal (SignalProcessor.compute_fft)."""

    window: str | None = Field(None, max_length=64, description="scipy.signal.get_window name, e.g. 'hann'")
    normalize: bool = True


class PSDRequest(_SignalRequest):
    """Power spectral density (SignalProcessor.power_spectral_density)."""

    method: Literal["welch", "periodogram"] = "welch"
    nperseg: int = Field(256, ge=1, le=2**31 - 1)
    noverlap: int | None = Field(None, ge=0, le=2**31 - 1)
    window: str = Field("hann", max_length=64)
    scaling: Literal["density", "spectrum"] = "density"


class BrownianRequest(_Request):
    """Brownian motion paths with drift (BrownianMotion.generate_paths)."""

    drift: float = 0.0
    volatility: float = Field(1.0, gt=0)
    T: float = Field(1.0, gt=0)
    n_steps: int = Field(100, ge=1, le=10**12)
    n_paths: int = Field(1, ge=1, le=10**12)
    seed: int | None = Field(None, ge=0, le=SEED_MAX, description="omit for fresh random paths (not cached)")
    x0: float = 0.0

    @model_validator(mode="after")
    def _path_steps(self, info: ValidationInfo) -> BrownianRequest:
        limit = _limits(info).max_path_steps
        if self.n_paths * (self.n_steps + 1) > limit:
            raise ValueError(
                f"n_paths x (n_steps + 1) = {self.n_paths * (self.n_steps + 1)} path-steps exceed the limit of {limit}"
            )
        return self


class OptionPriceRequest(_Request):
    """Monte Carlo price of a European option, with the Black-Scholes price beside it."""

    s0: float = Field(gt=0)
    strike: float = Field(gt=0)
    rate: float = Field(ge=-1, le=1)
    sigma: float = Field(gt=0, le=10)
    T: float = Field(gt=0, le=100)
    option: Literal["call", "put"] = "call"
    n_paths: int | None = Field(None, ge=2, le=10**12, description="default: the server's monte_carlo_samples")
    seed: int | None = Field(None, ge=0, le=SEED_MAX, description="omit for fresh random paths (not cached)")
    antithetic: bool = True

    @model_validator(mode="after")
    def _paths(self, info: ValidationInfo) -> OptionPriceRequest:
        limit = _limits(info).max_path_steps
        if self.n_paths is not None and self.n_paths > limit:
            raise ValueError(f"n_paths = {self.n_paths} exceeds the limit of {limit} path-steps")
        return self


class MinimizeRequest(_Request):
    """Minimise a built-in objective (no user code is evaluated)."""

    objective: Literal["rosenbrock", "quadratic", "beale", "booth", "himmelblau", "least_squares"]
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="quadratic: {A, b}; least_squares: {A, y} (minimises ||A x - y||^2 / 2); others: none",
        json_schema_extra={"additionalProperties": {"anyOf": [_VECTOR_SCHEMA, _MATRIX_SCHEMA]}},
    )
    x0: Vector
    method: Literal["bfgs", "lbfgs"] = "bfgs"
    max_iterations: int | None = Field(None, ge=1, le=100000)
    tolerance: float | None = Field(None, gt=0, le=1)

    @field_validator("x0", mode="before")
    @classmethod
    def _x0(cls, value: Any, info: ValidationInfo) -> np.ndarray:
        return to_array(value, "x0", (1,), _limits(info))

    @model_validator(mode="after")
    def _dense_hessian(self, info: ValidationInfo) -> MinimizeRequest:
        # BFGS keeps an n x n matrix: it counts against the element limit like any array.
        n, limit = self.x0.size, _limits(info).max_array_elements
        if self.method == "bfgs" and n * n > limit:
            raise ValueError(
                f"x0 has {n} elements: BFGS's {n} x {n} inverse Hessian would exceed the limit of {limit} "
                f"elements per array; use method 'lbfgs' (O(n) memory)"
            )
        return self

    @field_validator("params", mode="after")
    @classmethod
    def _params(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in value.items():
            try:
                out[key] = to_array(item, key, (1, 2), _limits(info))
            except ValueError as exc:
                raise ValueError(f"params.{key}: {exc}") from None
        return out


class ConditionNumberRequest(_Request):
    """Condition number of a matrix (MatrixOperations.condition_number)."""

    matrix: Matrix
    p: Literal[1, -1, 2, -2, "fro", "nuc", "inf", "-inf"] | None = Field(None, description="norm; null: the 2-norm")

    @field_validator("matrix", mode="before")
    @classmethod
    def _matrix(cls, value: Any, info: ValidationInfo) -> np.ndarray:
        return to_array(value, "matrix", (2,), _limits(info))


class SolveRequest(_Request):
    """Solve ``matrix @ x = rhs`` (MatrixOperations.solve)."""

    matrix: Matrix
    rhs: VectorOrMatrix

    @field_validator("matrix", mode="before")
    @classmethod
    def _matrix(cls, value: Any, info: ValidationInfo) -> np.ndarray:
        arr = to_array(value, "matrix", (2,), _limits(info))
        if arr.shape[0] != arr.shape[1]:
            raise ValueError(f"expected a square matrix, got shape {arr.shape}")
        return arr

    @field_validator("rhs", mode="before")
    @classmethod
    def _rhs(cls, value: Any, info: ValidationInfo) -> np.ndarray:
        return to_array(value, "rhs", (1, 2), _limits(info))

    @model_validator(mode="after")
    def _shapes(self) -> SolveRequest:
        if self.rhs.shape[0] != self.matrix.shape[0]:
            raise ValueError(f"rhs has {self.rhs.shape[0]} rows but matrix has {self.matrix.shape[0]}: they must agree")
        return self


# -- responses -----------------------------------------------------------------
class _Response(BaseModel):
    status: Literal["success"] = "success"
    backend: str
    duration_ms: float
    cached: bool


class FFTResponse(_Response):
    frequencies: list[float]
    magnitudes: list[float]


class PSDResponse(_Response):
    frequencies: list[float]
    psd: list[float]


class BrownianResponse(_Response):
    t: list[float]
    paths: list[list[float]]


class OptionPriceResponse(_Response):
    price: float
    std_error: float
    confidence_interval: list[float] = Field(min_length=2, max_length=2)
    black_scholes: float
    n_paths: int


class MinimizeResponse(_Response):
    """OptimizeResult's fields; its integer ``status`` is ``optimizer_status`` here."""

    x: list[float]
    fun: float
    jac: list[float]
    nit: int
    nfev: int
    njev: int
    success: bool
    optimizer_status: int
    message: str
    execution_time: float
    algorithm: str


class ConditionNumberResponse(_Response):
    condition_number: float | None = Field(description="null when infinite (a singular matrix)")
    singular: bool


class SolveResponse(_Response):
    x: list[float] | list[list[float]]
    warnings: list[str]


class ErrorResponse(BaseModel):
    status: Literal["error"] = "error"
    message: str


class HealthResponse(BaseModel):
    status: Literal["healthy"]
    version: str
    timestamp: str


class DetailedHealthResponse(BaseModel):
    status: Literal["healthy", "error"]
    message: str | None = None
    version: str
    timestamp: str
    backend: str
    device: str | None
    precision: str
    checks: dict[str, dict[str, Any]]
    packages: dict[str, str | None]


def finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None
