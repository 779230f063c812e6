# CollabHub production image. One image, several roles: the default CMD serves HTTP with
# gunicorn; docker-compose.yml and deploy/k8s/ override the command for the ASGI (WebSocket)
# server, the Celery worker and Celery beat.
FROM python:3.11-slim

# DEBUG=0 must be set before collectstatic below: with DEBUG off the settings pick WhiteNoise's
# CompressedManifestStaticFilesStorage, which needs the manifest that collectstatic writes.
ENV DEBUG=0 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed numeric UID so Kubernetes' runAsNonRoot can verify it without a passwd lookup.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, so code changes do not invalidate this layer. Every pinned package
# (psycopg[binary], argon2-cffi, ...) ships manylinux wheels: no compiler needed.
# implicit (recommendations' latent factors) links to the GNU OpenMP runtime, which the slim
# image lacks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .

# The dummy key and token exist only for this RUN line (settings refuse to start without them
# when DEBUG is off); they are never baked into the image's environment.
RUN SECRET_KEY=build-only METRICS_TOKEN=build-only python manage.py collectstatic --no-input

# The code stays root-owned and read-only to the app user. Anything the processes write goes
# to /tmp (e.g. celery beat's schedule file, see docker-compose.yml).
USER 10001:10001

EXPOSE 8000

# Shell form via sh -c so GUNICORN_WORKERS is read at start-up; exec hands PID 1 to gunicorn
# so it receives SIGTERM directly and shuts down gracefully.
CMD ["sh", "-c", "exec gunicorn collabhub.wsgi:application --bind 0.0.0.0:8000 --workers ${GUNICORN_WORKERS:-4}"]
