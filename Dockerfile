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
    PORT=10000 \
    FORWARDED_ALLOW_IPS="127.0.0.1,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7,173.245.48.0/20,103.21.244.0/22,103.22.200.0/22,103.31.4.0/22,141.101.64.0/18,108.162.192.0/18,190.93.240.0/20,188.114.96.0/20,197.234.240.0/22,198.41.128.0/17,162.158.0.0/15,104.16.0.0/13,104.24.0.0/14,172.64.0.0/13,131.0.72.0/22,2400:cb00::/32,2606:4700::/32,2803:f800::/32,2405:b500::/32,2405:8100::/32,2a06:98c0::/29,2c0f:f248::/32"

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

# FORWARDED_ALLOW_IPS above is render.yaml's (a test keeps them equal): the proxies whose
# X-Forwarded-For uvicorn trusts. Behind another proxy, set it to that proxy's addresses.
# Shell form so $PORT expands; `exec` makes uvicorn PID 1, so `docker stop` (SIGTERM) reaches
# it and it shuts down gracefully. The flags match render.yaml's startCommand.
CMD exec uvicorn backend.app.main:app --host 0.0.0.0 --port "${PORT:-10000}" --http backend.app.http_protocol:H11WithHeaderDeadline --proxy-headers --ws-max-size 1048576 --timeout-graceful-shutdown 40
