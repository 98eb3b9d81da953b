# The alternative deploy path (Render's `runtime: docker`, or any container host), built from
# the same pinned, hashed requirements-render.txt as the Python runtime in render.yaml.
# docs/RENDER_DEPLOYMENT.md ("The Docker path") explains how to switch and what stays in step.
#
#   docker build -t featherweight . && docker run --rm -p 10000:10000 featherweight

# Same Python as render.yaml's PYTHON_VERSION (a unit test keeps the two equal), so the
# render file's pins, compiled for this minor version, resolve the same wheels.
FROM python:3.11.14-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    USE_LOCAL_ASR=false \
    PORT=10000

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when the render file changes.
# Never uv.lock: it includes the local-asr extra (torch and its CUDA wheels).
COPY requirements-render.txt ./
RUN pip install --require-hashes -r requirements-render.txt

# The project (the library and the service, as pyproject's build configuration names them),
# without dependencies (pinned above); `pip check` fails the build if pyproject.toml needs
# something requirements-render.txt lacks.
COPY pyproject.toml README.md ./
COPY src ./src
COPY backend ./backend
RUN pip install --no-deps . && pip check

# Run as an unprivileged user: the service needs no write access to its own code.
RUN useradd --create-home --uid 10001 app
USER app

# Render's default port; hosts that assign another set PORT, which the command below honours.
EXPOSE 10000

# slim has no curl: probe readiness with the Python that is already here.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '10000'), timeout=4)"

# Shell form so $PORT expands; `exec` makes uvicorn PID 1, so `docker stop` (SIGTERM) reaches
# it and it shuts down gracefully. The flags match render.yaml's startCommand.
CMD exec uvicorn backend.app.main:app --host 0.0.0.0 --port "${PORT:-10000}" --proxy-headers --forwarded-allow-ips='*' --ws-max-size 1048576 --timeout-graceful-shutdown 40
