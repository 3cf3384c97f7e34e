"""forkserver: the server process the local pool's workers are forked from (multiprocessing's forkserver).

The server imports nbgrader and the grading modules once (PRELOAD: about 1.4 s of CPU on a 2-core machine); each
worker is a fork of it, ready at once. This module imports only the standard library, so that the command line
starts the server (`start_server`) before it imports the stage, which imports nbgrader too (about 1.6 s): the two
imports run side by side rather than one after the other. Starting it is idempotent; a server nobody used ends
with the process that started it.
"""
from __future__ import annotations

import multiprocessing
from multiprocessing import forkserver

PRELOAD = ["autograder.pool", "autograder.repair", "autograder.preprocessors.repaircells", "nbgrader.api",
           "nbgrader.preprocessors", "nbclient", "jupyter_client.manager", "nbconvert.preprocessors"]


def context():
    """The forkserver context: one server process imports PRELOAD once; every worker is forked from it.

    (Scripts that grade must guard their entry point with `if __name__ == "__main__":`, as multiprocessing
    re-imports a main script in its children.)
    """
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def start_server() -> None:
    """Start the forkserver now (if it is not running), so that it imports nbgrader while this process goes on."""
    context()
    forkserver.ensure_running()
