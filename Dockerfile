# qovery-job-mcp as a shared streamable HTTP service: python:slim, non-root, stateless (any replica answers
# any request), health-checked on /healthz, drains in-flight calls on SIGTERM.
# Build: docker build -t qovery-job-mcp .   Run: see README, section "Deployment".

FROM python:3.12-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install "uv==0.13.9"
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
# The locked versions with their hashes, then the project itself without dependencies.
RUN uv export --frozen --no-dev --no-emit-project -o requirements.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-hashes -r requirements.txt \
 && /opt/venv/bin/pip install --no-deps . \
 && /opt/venv/bin/qovery-job-mcp --version

FROM python:3.12-slim
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin mcp
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    QOVERY_MCP_PORT=9090
USER 10001
EXPOSE 9090
# slim has no curl: probe with the Python that is already there.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('QOVERY_MCP_PORT', '9090'), timeout=2)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["qovery-job-mcp"]
CMD ["--transport", "http", "--host", "0.0.0.0", "--stateless"]
