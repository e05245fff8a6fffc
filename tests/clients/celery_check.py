"""A celery worker (kombu's redis transport, the redis result backend)
runs 100 tasks against the server on PORT: the worker is a real
`celery worker` process; each result must come back right.
Usage: celery_check.py PORT"""
import os
import subprocess
import sys
import time

port = int(sys.argv[1])
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "celery_app")
path = os.pathsep.join(p for p in [here, os.environ.get("PYTHONPATH", "")] if p)
env = dict(os.environ, MINIREDIS_URL=f"redis://127.0.0.1:{port}/0", PYTHONPATH=path)
os.environ.update(env)
sys.path.insert(0, here)

from tasks import add  # noqa: E402

worker = subprocess.Popen(
    [sys.executable, "-m", "celery", "-A", "tasks", "worker", "--pool=threads",
     "--concurrency=4", "--without-gossip", "--without-mingle",
     "--without-heartbeat", "-l", "warning"],
    env=env, cwd=here, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
)
try:
    results = [add.delay(i, i) for i in range(100)]
    got = [r.get(timeout=60) for r in results]
    assert got == [2 * i for i in range(100)], got
    print("celery: ok (100 tasks)")
finally:
    worker.terminate()
    try:
        out, _ = worker.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        out, _ = worker.communicate()
    if worker.returncode not in (0, -15):
        print(out.decode(errors="replace"))
