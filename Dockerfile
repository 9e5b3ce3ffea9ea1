# syntax=docker/dockerfile:1
# scicomp, CPU image: numpy, numba and TensorFlow (CPU) backends plus the REST service.
#   docker build -t scicomp:cpu .
#   docker run --rm -p 8000:8000 -e SCICOMP_JWT_SECRET="$(openssl rand -hex 32)" scicomp:cpu
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/scicomp
ENV PATH=/opt/scicomp/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY deploy/constraints.txt ./deploy/
COPY scicomp ./scicomp
# Versions are pinned by deploy/constraints.txt (the set the test suite ran with).
RUN pip install --constraint deploy/constraints.txt "/src[all,service]"

FROM ${PYTHON_IMAGE}
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin scicomp
COPY --from=build /opt/scicomp /opt/scicomp
ENV PATH=/opt/scicomp/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    SCICOMP_LOG_LEVEL=INFO
USER 10001
WORKDIR /home/scicomp
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]
# The JWT secret comes from the environment at run time (SCICOMP_JWT_SECRET); none is baked in.
CMD ["scicomp", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
