# orange-bot: `docker build -t orange-bot .` then `docker run --env-file .env -p 3000:3000 orange-bot`
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DATABASE_URL=sqlite:////data/orange-bot.db PORT=3000

WORKDIR /app
COPY pyproject.toml README.md manifest.yml ./
COPY bot ./bot
COPY integrations ./integrations
COPY storage ./storage
RUN pip install . && useradd --create-home --uid 10001 orange && mkdir /data && chown orange /data

USER orange
VOLUME ["/data"]
EXPOSE 3000
# In HTTP mode /healthz answers 200 with the state of the database, scheduler and backends.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os,urllib.request,sys; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"3000\")}/healthz', timeout=4); sys.exit(0)" || exit 1
CMD ["orange-bot", "run"]
