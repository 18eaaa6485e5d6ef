# prevention-cds: the CDS Hooks service in a container (docs/deployment.md).
# Build: docker build -t prevention-cds:0.1.0 .   Run: see compose.yaml.

# --- wheels of the service and of every dependency (PostgreSQL driver included) ---
FROM python:3.12-slim AS wheels
WORKDIR /src
COPY pyproject.toml README.md ./
COPY prevention_cds ./prevention_cds
RUN pip wheel --no-cache-dir --wheel-dir /wheels '.[postgresql]'

# --- the service: no compiler, no source tree, a user of its own ---
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PREVENTION_CDS_HOST=0.0.0.0 \
    PREVENTION_CDS_PORT=8080 \
    XDG_DATA_HOME=/var/lib/prevention-cds
RUN groupadd --system --gid 10001 prevention-cds \
    && useradd --system --uid 10001 --gid prevention-cds --home-dir /var/lib/prevention-cds --create-home \
       --shell /usr/sbin/nologin prevention-cds
COPY --from=wheels /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels
USER 10001:10001
WORKDIR /var/lib/prevention-cds
EXPOSE 8080
# Liveness: /health answers without a database; /health/ready also checks it (for the orchestrator's readiness)
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PREVENTION_CDS_PORT', '8080'), timeout=4)"]
ENTRYPOINT ["prevention-cds"]
CMD ["serve"]
