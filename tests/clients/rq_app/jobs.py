"""Jobs the rq check runs (imported by the worker process by name)."""


def square(x):
    return x * x


def stamp(tag):
    return f"ran {tag}"
