# One image for the API and the workers (the container route; see README).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api api
COPY worker worker
COPY shared shared
COPY cli cli
COPY sampledata sampledata
COPY bench bench
RUN pip install --no-cache-dir .
ENV REPORTS_DIR=/reports HOST=0.0.0.0
ENTRYPOINT ["storemon"]
