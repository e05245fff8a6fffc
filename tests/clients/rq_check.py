"""rq against the server on PORT: a burst worker (a real `rq worker`
process) runs 100 jobs and each result comes back right (rq 2+ keeps job
results in a stream: XADD inside MULTI, XREVRANGE to read them); then the
scheduler half: a job scheduled (for a moment already past) is moved to
its queue by rq's scheduler (a Lua script takes the scheduler lock) and
run by a worker.
Usage: rq_check.py PORT"""
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

port = int(sys.argv[1])
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rq_app")
path = os.pathsep.join(p for p in [here, os.environ.get("PYTHONPATH", "")] if p)
env = dict(os.environ, PYTHONPATH=path)
sys.path.insert(0, here)

from redis import Redis  # noqa: E402
from rq import Queue  # noqa: E402
from rq.scheduler import RQScheduler  # noqa: E402
from jobs import square, stamp  # noqa: E402

url = f"redis://127.0.0.1:{port}/0"
conn = Redis(host="127.0.0.1", port=port)
conn.flushdb()
q = Queue("checks", connection=conn)


def run_worker(*extra):
    p = subprocess.run(
        [sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", url,
         "--logging_level", "WARNING", *extra, "checks"],
        env=env, cwd=here, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        timeout=120,
    )
    if p.returncode != 0:
        print(p.stdout.decode(errors="replace"))
        raise SystemExit(f"rq worker exited with {p.returncode}")


jobs = [q.enqueue(square, i) for i in range(100)]
run_worker()
for i, job in enumerate(jobs):
    job.refresh()
    assert job.is_finished, (i, job.get_status())
    assert job.return_value() == i * i, (i, job.return_value())
    res = job.latest_result()
    assert res is not None and res.return_value == i * i, (i, res)
print("rq: ok (100 jobs)")

delayed = q.enqueue_at(datetime.now(timezone.utc) - timedelta(seconds=1), stamp, "later")
assert delayed.get_status() == "scheduled", delayed.get_status()
# The scheduler's work in this process (a burst worker's forked scheduler
# can miss the SIGTERM that stops it while it starts, and then holds the
# worker for a minute): the Lua lock, then the due job moved to its queue.
scheduler = RQScheduler([q], connection=conn)
assert scheduler.acquire_locks() == {"checks"}, "scheduler lock not acquired"
scheduler.enqueue_scheduled_jobs()
scheduler.release_locks()
assert delayed.get_status() == "queued", delayed.get_status()
run_worker()
delayed.refresh()
assert delayed.is_finished, delayed.get_status()
assert delayed.return_value() == "ran later", delayed.return_value()
print("rq: ok (scheduled job)")
