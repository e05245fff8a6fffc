"""The celery application the app check runs: kombu's redis transport as
the broker, the redis result backend. The broker URL comes from
MINIREDIS_URL."""
import os

from celery import Celery

url = os.environ["MINIREDIS_URL"]
app = Celery("tasks", broker=url, backend=url)
app.conf.update(
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    task_acks_late=True,
    result_expires=600,
)


@app.task
def add(x, y):
    return x + y
