"""nbgraderspeed: nbgrader's per-call costs, paid once per process instead (results unchanged).

`speed_up_nbgrader()` is called by every process that grades (a worker's Grader, the parent's grade) before it
opens a Gradebook or runs nbgrader's steps.
"""
from __future__ import annotations

import json
import os


def speed_up_nbgrader() -> None:
    """Two per-call costs of nbgrader, made once per process (results unchanged):

    - every nbgrader step opens its own Gradebook, which creates a new SQLAlchemy engine, so each of the ~30
      queries per submission is compiled again: engines are shared per database URL (Gradebook.close() disposes
      an engine's connections, not the engine);
    - every Gradebook also inspects the database and runs CREATE TABLE IF NOT EXISTS for its whole schema: with a
      shared engine, once (the tables, once there, stay for the life of the process);
    - CheckCellMetadata validates each cell with jsonschema.validate, which first checks the schema itself: the
      checked validator is kept per schema.
    Together about 0.3 s of CPU per submission on this course's notebooks.
    """
    import jsonschema
    import nbgrader.api as api
    import nbgrader.nbgraderformat.common as metadata

    if not getattr(api.create_engine, "shared", False):
        engines, create = {}, api.create_engine

        def create_engine(url, **kwargs):
            key = (str(url), repr(sorted(kwargs.items())))
            if key not in engines:
                engines[key] = create(url, **kwargs)
            return engines[key]

        create_engine.shared = True
        api.create_engine = create_engine

    if not getattr(api.inspect, "shared", False):  # needs the shared engines above: one schema check per database
        ready, inspect, create_all = {}, api.inspect, api.Base.metadata.create_all

        def identity(engine):
            """What the database is now: a SQLite file by its inode (removed and made again: another), else the
            engine; None where it cannot be told (an empty or in-memory SQLite database)."""
            if engine.url.get_backend_name() != "sqlite":
                return "server"
            try:
                stat = os.stat(engine.url.database or "")
            except OSError:
                return None
            return (stat.st_dev, stat.st_ino) if stat.st_size else None

        class KnownTables:
            def __init__(self, engine):
                self.engine = engine

            def get_table_names(self):
                known = ready.get(id(self.engine))
                if known is not None and known == identity(self.engine):
                    return ["(made or checked before by this process)"]
                return inspect(self.engine).get_table_names()

        def create_tables(bind=None, **kwargs):
            known = ready.get(id(bind)) if bind is not None and not kwargs else None
            if known is None or known != identity(bind):
                create_all(bind=bind, **kwargs)
                if bind is not None and not kwargs and identity(bind) is not None:
                    ready[id(bind)] = identity(bind)

        KnownTables.shared = True
        api.inspect = KnownTables
        api.Base.metadata.create_all = create_tables

    if not isinstance(metadata.jsonschema, CheckedSchemas):
        metadata.jsonschema = CheckedSchemas(jsonschema)


def _plain_json(value, depth: int = 0) -> bool:
    """Is `value` made only of what JSON reads into (dicts with str keys, lists, str, int, float, bool, None), so
    that its JSON text tells it apart from every other such value?"""
    if depth > 20:
        return False
    if value is None or type(value) in (str, int, float, bool):
        return not (type(value) is float and value != value or value in (float("inf"), float("-inf")))
    if isinstance(value, dict):
        return all(type(k) is str and _plain_json(v, depth + 1) for k, v in value.items())
    if type(value) is list:
        return all(_plain_json(v, depth + 1) for v in value)
    return False


class CheckedSchemas:
    """jsonschema, whose validate() checks each schema once (for nbgrader.nbgraderformat.common), and validates
    each distinct instance once per schema: nbgrader's cell metadata repeats from cell to cell and from notebook to
    notebook, and a valid instance stays valid (an invalid one is checked again each time, so its error is raised
    as jsonschema raises it)."""

    def __init__(self, module):
        self._module, self._validators, self._valid = module, {}, set()

    def __getattr__(self, name):
        return getattr(self._module, name)

    def validate(self, instance, schema):
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            cls = self._module.validators.validator_for(schema)
            cls.check_schema(schema)
            self._validators[key] = cls(schema)
        seen = (key, json.dumps(instance, sort_keys=True)) if _plain_json(instance) else None  # else: every time
        if seen is not None and seen in self._valid:
            return
        error = self._module.exceptions.best_match(self._validators[key].iter_errors(instance))
        if error is not None:
            raise error
        if seen is not None:
            if len(self._valid) > 100_000:
                self._valid.clear()
            self._valid.add(seen)
