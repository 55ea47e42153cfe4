FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY sifi ./sifi
COPY integrations ./integrations
COPY accounting ./accounting
RUN pip install --no-cache-dir -e .
COPY . .
# Build step only (no secrets at build time); the containers run with DEBUG off.
RUN DEBUG=true python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "sifi.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
