"""What a sandbox's kernel changes in IPython's path for a cell: work IPython would do twice, done once.

Loaded by launch.py (beside it, by its path: launch.py runs as a script in isolated mode) and applied to the shell
of every kernel it starts (`kernel_app`), or run once in the zygote before any kernel exists (`warm_tracebacks`,
`kernel_without_subshells`).
Nothing a cell runs, shows or keeps changes: only how often IPython and ipykernel work the same thing out, and how
many threads a request crosses (a kernel offers no subshells, which no grader asks for). Only the standard library
at import time; IPython is imported by the kernel that calls these.
"""
import functools


def lean_cell_path(shell, known: dict) -> None:
    """Each execution has IPython transform the cell's text twice (ipykernel, then `run_cell`) and compile it twice
    only to learn whether it awaits at top level (`should_run_async`): 40 ms of CPU per toy notebook. Here
    - the static transform of a course-written cell is taken from `known` ({source: transformed}, what the grader's
      IPython made of it), as long as the shell's transformers are IPython's defaults, untouched;
    - the second transform of the same text object within an execution takes the first one's result;
    - a transformed cell in which neither "await" nor "async" appears (no top-level await, async for, async with or
      async comprehension can be written without them) is not compiled to find out.
    What runs, and how, is unchanged."""
    from IPython.core.inputtransformer2 import TransformerManager

    transform, should_run_async, last = shell.transform_cell, shell.should_run_async, []
    manager = shell.input_transformer_manager
    steps = lambda m: (m.cleanup_transforms, m.line_transforms, m.token_transformers)
    names = lambda m: [[getattr(f, "__qualname__", type(f).__qualname__) for f in step] for step in steps(m)]
    pristine = [list(step) for step in steps(manager)]
    if known and names(manager) == names(TransformerManager()):
        static = manager.transform_cell

        def static_transform(cell):
            if cell in known and [list(step) for step in steps(manager)] == pristine:
                return known[cell]
            return static(cell)

        manager.transform_cell = static_transform

    def transform_cell(raw_cell):
        if last and last[0][0] is raw_cell:  # run_cell's transform of the text ipykernel has just transformed
            return last.pop()[1]
        last.clear()
        transformed = transform(raw_cell)
        last.append((raw_cell, transformed))
        return transformed

    def should_run_async_lean(raw_cell, *, transformed_cell=None, preprocessing_exc_tuple=None):
        if isinstance(transformed_cell, str) and "await" not in transformed_cell and "async" not in transformed_cell:
            return False
        return should_run_async(raw_cell, transformed_cell=transformed_cell,
                                preprocessing_exc_tuple=preprocessing_exc_tuple)

    shell.transform_cell, shell.should_run_async = transform_cell, should_run_async_lean


def one_format_per_error(shell) -> None:
    """IPython formats the error of a failing cell twice: to show it (`showtraceback`), then again to keep it in the
    history (`_format_exception_for_storage`, which `%notebook` reads), with the same handler and the same offset,
    so into the same lines: 5-10 ms of CPU each time (stack_data, pygments, inspect), the larger part of what a
    failing cell costs the kernel. Here the call right after one for the same exception and traceback, in the same
    mode (one that shows no variables' values) and colours, takes a copy of the lines just made; any other call
    formats as before. What was formatted last is let go when the execution ends (it holds the failing frames)."""
    handler = shell.InteractiveTB
    structured_traceback = handler.structured_traceback
    last = []  # [(type, exception, traceback, settings, lines)]: the error formatted last, until the next call

    def formatted_once(etype, evalue=None, etb=None, tb_offset=None, context=5):
        settings = (handler.tb_offset if tb_offset is None else tb_offset, context, handler.mode,
                    getattr(handler, "_theme_name", None))
        kept = last.pop() if last else None
        same = kept is not None and all(a is b for a, b in zip(kept[:3], (etype, evalue, etb)))
        if same and evalue is not None and kept[3] == settings and not getattr(handler, "include_vars", False):
            return list(kept[4])
        lines = structured_traceback(etype, evalue, etb, tb_offset=tb_offset, context=context)
        if evalue is not None and isinstance(lines, list):
            last.append((etype, evalue, etb, settings, list(lines)))
        return lines

    handler.structured_traceback = formatted_once
    shell.events.register("post_execute", last.clear)


def flush_only_what_was_written(*streams) -> None:
    """ipykernel flushes stdout and stderr at least four times an execution (before its reply and its idle status,
    before a traceback or a display): each flush hands ipykernel's IOPub thread the flush and an event and waits
    for the event, even when nothing was written, about 0.5 ms of the kernel's CPU per execution. Here a flush of
    one of `streams` with nothing written since the last one and none pending returns at once; a flush with
    anything to send is ipykernel's. A cell's outputs still reach IOPub before its idle status: what was written
    is in the stream's buffers or in a flush on that thread, which sends the status after it."""
    from ipykernel.iostream import OutStream

    for stream in streams:
        if not isinstance(stream, OutStream) or getattr(stream, "echo", True) is not None:
            continue  # not ipykernel's, or also written to a terminal, which its flush flushes

        def flush(stream=stream, ipykernels=stream.flush):
            if stream._buffers or getattr(stream, "_flush_pending", True) or \
                    getattr(stream, "_subprocess_flush_pending", True):
                return ipykernels()
            return None

        stream.flush = flush


def warm_tracebacks() -> None:
    """Do once here what a kernel's first traceback costs it (30-40 ms of CPU, IPython formats it with stack_data
    and pygments): compile the Python lexer's rules (stack_data makes a new lexer class for each traceback, whose
    rules re.compile then finds in its cache), fill inspect's map of module files, and format an error of this
    function's own in IPython's default mode and theme (which builds and keeps that theme's styles and formatter).
    Library code only, run before any kernel exists; a traceback shows the same text."""
    try:
        import inspect
        import sys

        from IPython.core.interactiveshell import InteractiveShell
        from IPython.core.ultratb import AutoFormattedTB
        from pygments.lexers import get_lexer_by_name

        get_lexer_by_name("python3")
        inspect.getmodule(warm_tracebacks.__code__)
        shell = InteractiveShell.class_traits()
        try:
            raise RuntimeError("formatted before any kernel exists")
        except RuntimeError:
            AutoFormattedTB(mode=shell["xmode"].default_value,
                            theme_name=shell["colors"].default_value).structured_traceback(*sys.exc_info())
    except Exception:  # noqa: BLE001 - the kernel pays for it itself, as without a zygote
        pass


def without_subshells(app) -> None:
    """ipykernel 7 reads a kernel's shell socket on a thread of its own, for subshells (which no grader asks for), and
    hands each request to the main thread over an in-process socket, and each reply back the same way: thread hops
    that cost the kernel about 0.4 ms of CPU per execution. Called by the kernel's IPKernelApp before `init_kernel`,
    this has the main thread read the shell socket itself, as ipykernel does for a kernel without subshells: its
    shell channel thread is never started and the kernel says it has no subshells (kernel_info's features). A cell
    runs as before; one that awaits at top level can still be interrupted, in the main thread."""
    import threading

    class NoShellChannelThread:  # false where ipykernel asks for the thread, and its parent where it asks for that
        parent_thread = threading.current_thread()

        def __bool__(self):
            return False

    unused, app.shell_channel_thread = app.shell_channel_thread, NoShellChannelThread()
    if unused is not None:
        unused.io_loop.close()
    app.kernel_class = kernel_without_subshells(app.kernel_class)


@functools.cache
def kernel_without_subshells(kernel_class):
    """`kernel_class` saying it offers no subshells (made once per class: the zygote makes ipykernel's before any
    kernel exists, so that a kernel does not build the class and its traits again)."""

    class Kernel(kernel_class):
        @property
        def _supports_kernel_subshells(self):
            return False

    Kernel.__name__, Kernel.__qualname__ = kernel_class.__name__, kernel_class.__qualname__
    return Kernel
