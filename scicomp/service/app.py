"""The FastAPI application: ``create_app(settings)``.

Request handling, per endpoint: check the bearer token and permission, read
the body (JSON, or ``application/x-npy`` for the endpoint's array field with
the other fields in the query string), validate it with the endpoint's
pydantic model, then run the computation in the worker pool under the time
limit, answering from the result store when the request is deterministic and
already computed. Errors are ``{"status": "error", "message"}`` with the
right status code; nothing ever answers with a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from .. import __version__, get_backend
from ..backends import status as backend_status
from ..config import current_config, run_with_current_config
from . import metrics
from .auth import AuthError, Principal, TokenVerifier
from .health import package_versions, run_checks
from .logs import configure_logging, logger, register_secret, summarize
from .middleware import BodyTooLarge, ServiceMiddleware, error_body
from .models import DetailedHealthResponse, ErrorResponse, HealthResponse, Limits
from .npy import NPY_MEDIA_TYPE, NpyError, is_npy, read_npy, wants_npy, write_npy, write_npy_rows
from .openapi import install_openapi
from .operations import DEADLINE, OPERATIONS, Operation, ResultOverflow, check_finite_result, configure_dask
from .settings import ServiceSettings
from .store import ResultStore, StoreKey, params_hash

__all__ = ["create_app", "create_app_from_env", "API_PREFIX"]

API_PREFIX = "/api/v1"
_JSON = "application/json"


class ServiceState:
    """What the request handlers share: settings, backend, store, worker pool."""

    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self.backend = get_backend(settings.backend)
        self.precision = current_config().float_precision
        self.device = backend_status(self.backend.name).device
        self.secret = settings.secret_bytes() if settings.auth else None
        self.verify = TokenVerifier(self.secret) if self.secret else None
        key = settings.encryption_key.get_secret_value().encode() if settings.encrypt and settings.encryption_key else None
        register_secret(self.secret)
        register_secret(key)
        self._key = key
        self.store: ResultStore | None = None
        self.pool: ThreadPoolExecutor | None = None
        self.open()
        self.limits = Limits(max_array_elements=settings.max_array_elements, max_path_steps=settings.max_path_steps)
        configure_dask(settings.dask_scheduler, settings.dask_min_paths)
        self.context = {"limits": self.limits}

    def authorize(self, request: Request, permission: str) -> Principal | None:
        if not self.settings.auth:
            return None
        principal = self.verify(request.headers.get("authorization"))
        if not principal.allows(permission):
            raise AuthError(403, f"the token of {principal.user!r} lacks the {permission!r} permission")
        return principal

    async def run(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(*args)`` in the worker pool, with the caller's config; TimeoutError past the time limit.

        One asyncio future, settled from the worker thread or by one timer: this is
        what ``run_in_executor`` under ``asyncio.timeout`` does, without their
        chained futures and context managers, which cost the event loop ~10% of a
        small request's time. Past the limit the request is answered (504); an
        iterative computation (a minimisation) stops itself at the same deadline,
        others run to their end: Python cannot stop a thread.
        """
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        deadline = time.monotonic() + self.settings.time_limit_s
        call = run_with_current_config(_with_deadline, deadline, fn, *args)

        def work() -> None:  # in a worker thread
            if future.done():  # timed out, or the client went away, before a thread was free
                return
            try:
                result, error = call(), None
            except Exception as exc:
                result, error = None, exc
            with contextlib.suppress(RuntimeError):  # the loop closed during a shutdown
                loop.call_soon_threadsafe(_settle, future, result, error)

        self.pool.submit(work)
        timer = loop.call_later(self.settings.time_limit_s, _settle, future, None, TimeoutError())
        try:
            return await future
        finally:
            timer.cancel()

    def open(self) -> None:
        """Create the worker pool and open the store (again, after a lifespan shutdown)."""
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=self.settings.threads, thread_name_prefix="scicomp-service")
        if self.store is None and self.settings.cache:
            max_bytes = int(self.settings.store_max_mb * 1024 * 1024)
            self.store = ResultStore(self.settings.store_path, encryption_key=self._key, write_behind=True, max_bytes=max_bytes)

    def close(self) -> None:
        """Stop the pool (running computations finish in their threads) and close the store."""
        pool, store = self.pool, self.store
        self.pool = self.store = None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if store is not None:
            store.close()


def _with_deadline(deadline: float, fn: Any, *args: Any) -> Any:
    """``fn(*args)`` with the request's deadline visible to iterative computations (operations.DEADLINE)."""
    DEADLINE.set(deadline)  # in the copied context of this call only
    return fn(*args)


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    """Resolve ``future`` unless the timer, the worker or a cancellation got there first."""
    if not future.done():
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)


def _json_response(payload: dict[str, Any], status: int = 200, background: BackgroundTask | None = None) -> Response:
    body = orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
    return Response(body, status_code=status, media_type=_JSON, background=background)


def _error(status: int, message: str, request: Request, exc: BaseException | None = None, **headers: str) -> Response:
    request_id = request.scope.get("state", {}).get("request_id")
    logger.log(
        30 if status >= 500 else 20,
        message,
        extra={
            "fields": {
                "event": "error",
                "type": type(exc).__name__ if exc is not None else "HTTPError",
                "status": status,
                "request_id": request_id,
                "path": request.url.path,
            }
        },
    )
    return Response(error_body(message), status_code=status, media_type=_JSON, headers=headers or None)


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        loc = ".".join(str(p) for p in error["loc"]) or "body"
        msg = error["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if not msg.startswith(f"{loc}:") else msg)
    more = len(exc.errors()) - 3
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _parse_json(op: Operation, body: bytes, context: dict[str, Any]) -> Any:
    """Validate a JSON body: orjson for speed, pydantic's own parser when orjson refuses the text.

    pydantic's parser reads NaN and Infinity literals (which Python's json module
    writes), so the 422 then names the offending field instead of a JSON position.
    """
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return op.request.model_validate_json(body or b"null", context=context)
    return op.request.model_validate(data, context=context)


def _store_key(state: ServiceState, op: Operation, req: Any) -> StoreKey | None:
    """The result-store key of a deterministic request (None: not cached, or no store)."""
    if state.store is None or (op.seeded and getattr(req, "seed", None) is None):
        return None
    params = {name: getattr(req, name) for name in type(req).model_fields}
    params["__version__"] = __version__
    return StoreKey(op.name, params_hash(params), state.backend.name, state.precision)


def _compute(state: ServiceState, op: Operation, req: Any) -> tuple[dict[str, Any], bool]:
    """Worker-thread part of a request: store key and lookup, computation, store write."""
    metrics.ACTIVE_COMPUTATIONS.inc()
    try:
        store = state.store
        key = _store_key(state, op, req)
        if key is not None and store is not None:
            hit = store.get(key)
            if hit is not None:
                metrics.CACHE_HITS.inc()
                return hit, True
        result = op.compute(req, state.backend)
        check_finite_result(op.name, result)
        if key is not None and store is not None:
            store.put(key, result)
        return result, False
    finally:
        metrics.ACTIVE_COMPUTATIONS.dec()
        metrics.update_memory(max_age_s=1.0)  # a /proc read per request would cost more than an FFT


async def _log_computation(op: Operation, req: Any, meta: dict[str, Any], request_id: str | None) -> None:
    """One JSON line per computation: operation, duration, parameter shapes (never data), backend, cached.

    A coroutine, so Starlette runs it on the event loop rather than in a thread.
    """
    fields = {
        "event": "computation",
        "operation": op.name,
        "duration_ms": meta["duration_ms"],
        "params": summarize({n: getattr(req, n) for n in type(req).model_fields}),
        "backend": meta["backend"],
        "cached": meta["cached"],
        "success": True,
        "request_id": request_id,
    }
    logger.info("computation", extra={"fields": fields})


def _npy_response(op: Operation, result: dict[str, Any], meta: dict[str, Any], background: BackgroundTask | None) -> Response:
    scalars = {k: v for k, v in result.items() if k not in op.npy_rows}
    headers = {
        "x-scicomp-status": "success",
        "x-scicomp-fields": ",".join(op.npy_rows),
        "x-scicomp-backend": meta["backend"],
        "x-scicomp-duration-ms": str(meta["duration_ms"]),
        "x-scicomp-cached": "true" if meta["cached"] else "false",
    }
    if scalars:
        headers["x-scicomp-meta"] = json.dumps(scalars, ensure_ascii=True, default=float)
    arrays = [result[name] for name in op.npy_rows]
    body = write_npy(arrays[0]) if len(arrays) == 1 else write_npy_rows(arrays)
    return Response(body, media_type=NPY_MEDIA_TYPE, headers=headers, background=background)


def _make_handler(state: ServiceState, op: Operation) -> Any:
    settings = state.settings

    async def handler(request: Request) -> Response:
        start = time.perf_counter()
        try:
            state.authorize(request, op.permission)
            content_type = request.headers.get("content-type")
            body = await request.body()
            if is_npy(content_type):
                if op.npy_field is None:
                    return _error(415, f"{op.path} accepts application/json only", request)
                data: dict[str, Any] = dict(request.query_params)
                data[op.npy_field] = read_npy(body, op.npy_field, settings.max_array_elements)
                req = op.request.model_validate(data, context=state.context)
            elif content_type is None or content_type.split(";")[0].strip().lower() in (_JSON, ""):
                req = _parse_json(op, body, state.context)
            else:
                media = content_type.split(";")[0].strip()[:64]
                return _error(415, f"unsupported Content-Type {media!r}: send application/json or {NPY_MEDIA_TYPE}", request)
            result, cached = await state.run(_compute, state, op, req)
        except AuthError as exc:
            headers = {"www-authenticate": "Bearer"} if exc.status == 401 else {}
            return _error(exc.status, exc.message, request, exc, **headers)
        except ValidationError as exc:
            return _error(422, _validation_message(exc), request, exc)
        except BodyTooLarge:
            raise
        except TimeoutError as exc:
            return _error(504, f"{op.path}: the computation exceeded the time limit of {settings.time_limit_s:g} s", request, exc)
        except (NpyError, ResultOverflow, ValueError, TypeError, np.linalg.LinAlgError) as exc:
            return _error(422, str(exc)[:2000], request, exc)
        except MemoryError as exc:  # within the limits, but more than this machine has free now
            message = f"{op.path}: the server has not enough free memory for this request now; try a smaller one"
            return _error(503, message, request, exc)
        except ArithmeticError as exc:  # a division by zero or overflow on extreme (but schema-valid) inputs
            return _error(422, f"{op.path}: the inputs are out of the numerically usable range ({exc})", request, exc)
        except Exception as exc:  # never a traceback to the client
            logger.exception("unexpected error", extra={"fields": {"event": "error", "operation": op.name}})
            return _error(500, f"internal error (request id {request.scope['state'].get('request_id')})", request, exc)
        duration_ms = round((time.perf_counter() - start) * 1000, 3)
        meta = {"backend": state.backend.name, "duration_ms": duration_ms, "cached": cached}
        # The computation's log line is written after the response has gone out, while the
        # client reads it, instead of in front of it.
        request_id = request.scope["state"].get("request_id")
        log = BackgroundTask(_log_computation, op, req, meta, request_id) if logger.isEnabledFor(20) else None
        if op.npy_rows and wants_npy(request.headers.get("accept")):
            return _npy_response(op, result, meta, log)
        return _json_response({"status": "success", **result, **meta}, background=log)

    handler.__name__ = op.name.replace(".", "_")
    return handler


def _asgi(handler: Any) -> Any:
    """A request handler as a bare ASGI app (ServiceMiddleware calls the compute handlers this way)."""

    async def app(scope: dict, receive: Any, send: Any) -> None:
        response = await handler(Request(scope, receive, send))
        await response(scope, receive, send)

    return app


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the service for ``settings`` (default: from the environment); ConfigError when they are unsafe."""
    settings = settings or ServiceSettings()
    settings.check()
    configure_logging(settings.log_level or current_config().log_level, settings.log_file)
    state = ServiceState(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        state.open()
        logger.info("service started", extra={"fields": {"event": "startup", "settings": settings.summary()}})
        yield
        state.close()
        metrics.mark_process_dead()

    app = FastAPI(
        title="scicomp",
        version=__version__,
        description="Signal processing, stochastic processes, optimisation and linear algebra as a service.",
        lifespan=lifespan,
    )
    app.state.service = state

    # Plain Starlette routes: the handlers parse and validate their bodies themselves (JSON or
    # x-npy), so FastAPI's dependency machinery would only add time; openapi.py documents them.
    direct = {}
    for op in OPERATIONS:
        handler = _make_handler(state, op)
        app.router.routes.append(Route(API_PREFIX + op.path, handler, methods=["POST"], name=op.name))
        direct[API_PREFIX + op.path] = _asgi(handler)

    @app.get("/health", response_model=HealthResponse, tags=["health"])
    async def health() -> Response:
        return _json_response({"status": "healthy", "version": __version__, "timestamp": _now()})

    @app.get("/health/detailed", response_model=DetailedHealthResponse, tags=["health"])
    async def health_detailed(request: Request) -> Response:
        try:
            state.authorize(request, "admin")
            checks = await state.run(run_checks, state.backend)
        except AuthError as exc:
            headers = {"www-authenticate": "Bearer"} if exc.status == 401 else {}
            return _error(exc.status, exc.message, request, exc, **headers)
        except TimeoutError as exc:
            return _error(504, f"health checks exceeded the time limit of {settings.time_limit_s:g} s", request, exc)
        failed = [name for name, c in checks.items() if not c["ok"]]
        payload = {
            "status": "error" if failed else "healthy",
            "message": f"health check {failed[0]!r} failed: {checks[failed[0]]['error']}" if failed else None,
            "version": __version__,
            "timestamp": _now(),
            "backend": state.backend.name,
            "device": state.device,
            "precision": state.precision,
            "checks": checks,
            "packages": package_versions(state.backend.name),
        }
        return _json_response(payload, status=503 if failed else 200)

    @app.get("/metrics", tags=["health"], response_class=Response,
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})  # fmt: skip
    async def prometheus_metrics() -> Response:
        return Response(metrics.render(), media_type=metrics.CONTENT_TYPE_LATEST)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(exc.status_code, str(exc.detail), request, exc, **(exc.headers or {}))

    known = frozenset([API_PREFIX + op.path for op in OPERATIONS] + ["/health", "/health/detailed", "/metrics"])
    app.add_middleware(ServiceMiddleware, max_body_bytes=settings.max_body_bytes, known_paths=known, direct=direct)
    install_openapi(app, API_PREFIX, OPERATIONS, ErrorResponse, auth=settings.auth)
    return app


def create_app_from_env() -> FastAPI:
    """The app factory uvicorn workers call (``scicomp serve`` passes settings by environment)."""
    return create_app(ServiceSettings())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
