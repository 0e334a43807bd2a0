"""A store made before the lab's artifact locations travelled with the checkout: converted once.

The lab's experiments keep their files at ``checkout:/mlartifacts/<experiment>``, a location
relative to the folder of the SQLite store (plugin/rnnlab_checkout.py). A store made earlier
holds absolute ones, as MLflow makes every local location: ``file:///home/me/lab/mlartifacts/
msft`` for the experiment, and under it each run's, logged model's and model version's. In a
copy of that checkout they name the original's files, which `mlflow gc` in the copy would
delete. ``convert`` rewrites them, once, into the relative form, before a stage, `make ui` or
`make serve` opens the store.

MLflow has no public interface that moves an experiment's artifact location (or a run's, a
logged model's, a model version's): they are set when each is created. So this is an edit of
MLflow's own tables, guarded: it runs only on the schema it was written for (the alembic
revision ``REVISION``, the head of the MLflow in requirements.lock; tests/test_tracking.py holds
the two equal), else one line; in one transaction; and it says in one line what it changed.
"""
import contextlib
import os
import sys

from rnnlab.core.errors import LabError

REVISION = "dc11669786a5"
"""The alembic revision of MLflow's schema whose tables and columns ``COLUMNS`` names: the head
of MLflow 3.17.2's migrations (mlflow/store/db_migrations)."""

COLUMNS = (("experiments", "artifact_location", "experiments"), ("runs", "artifact_uri", "runs"),
           ("logged_models", "artifact_location", "logged models"),
           ("model_versions", "storage_location", "model versions"))
"""The columns of MLflow's schema that hold where a file of the store is: (table, column, what)."""

RELATIVE = "checkout:/"
"""The relative form of a location under the store's folder (plugin/rnnlab_checkout.py)."""


def old_roots(c):
    """The folders that the store's locations are absolute under: X for every experiment
    whose location is ``file://X/mlartifacts/<its name>`` (as the lab made them) or
    ``X/mlartifacts/<its name>``; X is the folder of the store that was, this one's or that of
    the checkout it was copied from."""
    roots = set()
    for name, location in c.execute("SELECT name, artifact_location FROM experiments"):
        path = (location or "").removeprefix("file://")
        tail = f"/mlartifacts/{name}"
        if path.startswith("/") and path.endswith(tail) and len(path) > len(tail):
            roots.add(path[:-len(tail)])
    return roots


def convert(db):
    """Rewrite, in one transaction, every location of the SQLite store ``db`` under an old root
    (``old_roots``: ``file://X/...`` or ``X/...``) into ``checkout:/...``, the same path relative
    to the store's folder, and say so in one line on stderr; nothing when there is none. A
    store at another schema revision than ``REVISION`` is refused in one line (LabError)."""
    import sqlite3

    if not os.path.isfile(db):
        return
    changed = {}
    try:
        with contextlib.closing(sqlite3.connect(db, timeout=30, isolation_level=None)) as c:
            tables = {name for (name,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "experiments" not in tables or not old_roots(c):
                return
            c.execute("BEGIN IMMEDIATE")  # one transaction, which other writers wait for
            try:
                roots = old_roots(c)  # again: another process may have converted it meanwhile
                revision = [v for (v,) in c.execute("SELECT version_num FROM alembic_version")] \
                    if "alembic_version" in tables else []
                if roots and revision != [REVISION]:
                    raise LabError(refusal(db, roots, revision))
                for table, column, what in COLUMNS:
                    for root in sorted(roots):
                        for prefix in (f"file://{root}/", f"{root}/"):
                            n = c.execute(f"UPDATE {table} SET {column} = ? || substr({column}, ?) "  # noqa: S608
                                          f"WHERE substr({column}, 1, ?) = ?",
                                          (RELATIVE, len(prefix) + 1, len(prefix), prefix)).rowcount
                            changed[what] = changed.get(what, 0) + n
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
    except sqlite3.Error:
        return  # a store that cannot be read or written: the checks and MLflow say so
    if not any(changed.values()):
        return
    counts = ", ".join(f"{n} {what}" for what, n in changed.items() if n)
    print(f"{db}: its artifact locations were absolute paths under {', '.join(sorted(roots))}; "
          f"they are now relative to its folder ({RELATIVE}...), once: {counts}", file=sys.stderr)


def refusal(db, roots, revision):
    """The line for a store whose locations need converting, at a schema revision other than
    ``REVISION``."""
    found = revision[0] if len(revision) == 1 else (revision or "none")
    return (f"{db}: its artifact locations are absolute paths under {', '.join(sorted(roots))}, "
            f"which the lab converts into paths relative to the store only on MLflow's schema "
            f"revision {REVISION} (the MLflow of requirements.lock), and this store's is {found}: "
            f"open it with the lab's venv (make venv), after `.venv/bin/mlflow db upgrade "
            f"sqlite:///{db}` for an older one")


def plugin_missing():
    """Whether the venv lacks the lab's MLflow plugin (plugin/: the artifact scheme
    ``checkout:``), without which MLflow cannot open the lab's artifact locations."""
    from importlib.metadata import entry_points

    return not entry_points(group="mlflow.artifact_repository", name="checkout")
