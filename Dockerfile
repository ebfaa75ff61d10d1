FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs settings that accept DEBUG=0 at build time; the real key comes from the environment at run time.
RUN DEBUG=0 SECRET_KEY=build-only-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["sh", "-c", "python manage.py migrate --noinput && daphne -e tcp:8000:interface=0.0.0.0:backlog=1024 hub.asgi:application"]
