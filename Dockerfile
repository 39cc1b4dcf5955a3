# orange-bot: `docker build -t orange-bot .`, then
#   docker run --init --env-file .env -p 3000:3000 -v orange-bot-data:/data orange-bot
# (--init: an init as PID 1 passes SIGTERM on even while the bot starts; docker-compose.yml has two replicas.)
#
# BASE is any Debian-like image with python3 >= 3.11 and its venv module: the official python:3.11-slim by default,
# or a local one where no registry can be reached (scripts/docker-base.sh builds orange-bot-base:local). The
# project is installed in /opt/venv, which works the same on both (Debian's own python3 refuses a system-wide
# `pip install`, PEP 668). Package index: PIP_INDEX_URL / PIP_EXTRA_INDEX_URL / PIP_TRUSTED_HOST / PIP_CERT build
# arguments, read by pip in the build stage only (they never reach the final image's environment or layers).
ARG BASE=python:3.11-slim

FROM ${BASE} AS build
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_TRUSTED_HOST
ARG PIP_CERT
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
RUN python3 -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY integrations ./integrations
COPY storage ./storage
# An argument left empty means pip's own default, not an empty index.
RUN for v in PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_CERT; do \
      eval "[ -n \"\${$v:-}\" ]" || unset "$v"; \
    done \
 && /opt/venv/bin/pip install . \
 && /opt/venv/bin/orange-bot --help >/dev/null

FROM ${BASE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH \
    DATABASE_URL=sqlite:////data/orange-bot.db PORT=3000
COPY --from=build /opt/venv /opt/venv
RUN groupadd --gid 10001 orange \
 && useradd --uid 10001 --gid 10001 --create-home --no-log-init --shell /usr/sbin/nologin orange \
 && mkdir /data && chown orange:orange /data
WORKDIR /app
# The Slack app manifest: what operators paste into api.slack.com/apps, and the scopes the simulator grants.
COPY manifest.yml ./

USER 10001:10001
VOLUME ["/data"]
EXPOSE 3000
# `docker stop` sends SIGTERM: the bot stops taking requests, stops its scheduler and exits 0.
STOPSIGNAL SIGTERM
# /healthz answers 200 while the database answers (503 otherwise), in HTTP and Socket Mode alike. /metrics is not
# on PORT unless METRICS_TOKEN guards it; METRICS_PORT gives it a port of its own (not EXPOSEd: publish it only
# to the scraper).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os,urllib.request,sys; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"3000\")}/healthz', timeout=4); sys.exit(0)" || exit 1
CMD ["orange-bot", "run"]
