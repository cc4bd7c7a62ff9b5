"""The worker's computing child: one process beside the event loop that runs the CPU-bound part
of a job (a shard's figures and part, an assembly's merge and rows index), so that the loop stays
free for heartbeats, signals and the time limit, and a job past its limit is stopped for real.

The child is started with "spawn" (a fresh interpreter: nothing of the running event loop, its
sockets or its threads is inherited, as a fork would) and reused job after job. A call that is
cancelled (the time limit, the end of the shutdown grace) kills it (SIGKILL: NumPy does not
stop for anything gentler), removes the temporary files it was writing (their names carry its
pid, `shared.csvfile.writer_tag`) and starts a new one. Nothing it wrote under a final name
can be half-written: every file is renamed into place whole.
"""

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import signal
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, TypeVar

from shared.csvfile import remove_temps, writer_tag
from worker.heap import keep_freed
from worker.timelimit import holding

log = logging.getLogger(__name__)
T = TypeVar("T")
_CONTEXT = multiprocessing.get_context("spawn")
_EXIT_SECONDS = 5.0  # a child asked to leave (its pipe closed) exits within this, or is killed


class ChildDied(RuntimeError):
    """The computing child exited in the middle of a call (killed by the system: memory?)."""


class Child:
    """One computing process, started on first use and replaced after a kill."""

    def __init__(self) -> None:
        self._process: BaseProcess | None = None
        self._conn: multiprocessing.connection.Connection | None = None
        self._lock = asyncio.Lock()
        self.started = 0  # processes started so far (the first, then one per kill)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        """Start the child now (else on the first call): it imports NumPy meanwhile."""
        if self._process is not None and self._process.is_alive():
            return
        self._discard()
        ours, theirs = _CONTEXT.Pipe()
        process = _CONTEXT.Process(target=_serve, args=(theirs,), name="storemon-compute")
        process.daemon = True  # never outlives the worker
        process.start()
        theirs.close()
        self._process, self._conn = process, ours
        self.started += 1

    async def call(
        self, function: Callable[..., T], *args: Any, writes_in: Sequence[Path] = ()
    ) -> T:
        """`function(*args)` run in the child (both picklable: a module-level function and
        plain values, NumPy arrays); its exception raised here. Cancelled, the child is killed
        and the temporary files it left in `writes_in` removed."""
        async with holding(self._lock):  # another job's call may run there
            self.start()
            process, conn = self._process, self._conn
            assert process is not None and conn is not None
            loop = asyncio.get_running_loop()
            exchange = loop.run_in_executor(None, _exchange, conn, (function, args))
            try:
                ok, value = await asyncio.shield(exchange)
            except asyncio.CancelledError:
                # The thread reading the pipe ends once the child is dead: the pipe is closed
                # after it, never under it.
                exchange.add_done_callback(lambda done: _closed(done, conn))
                self._kill(writes_in, "its job was stopped", close=False)
                raise
            except (EOFError, OSError) as e:  # the pipe broke: the child is gone
                code = process.exitcode
                self._kill(writes_in, "it died")
                raise ChildDied(
                    f"the computing child exited in the middle of a job (exit code {code}): "
                    f"{type(e).__name__}"
                ) from None
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return value  # type: ignore[no-any-return]

    def _kill(self, writes_in: Sequence[Path], why: str, close: bool = True) -> None:
        """Kill the child at once (a moment, not a wait: SIGKILL), and remove its temporary
        files; the next call starts another."""
        process = self._process
        if process is None:
            return
        pid = process.pid
        process.kill()
        process.join(_EXIT_SECONDS)
        log.warning("computing child %s killed: %s", pid, why)
        if pid is not None:
            for directory in writes_in:
                remove_temps(directory, writer_tag(pid))
        self._discard(close)

    def _discard(self, close: bool = True) -> None:
        if self._conn is not None and close:
            self._conn.close()
        if self._process is not None:
            self._process.close()
        self._process = self._conn = None

    def close(self) -> None:
        """Ask the child to leave (its pipe closes: it exits after the call in hand), kill
        it if it does not within a few seconds."""
        process = self._process
        if process is None:
            return
        assert self._conn is not None
        self._conn.close()
        process.join(_EXIT_SECONDS)
        if process.exitcode is None:
            process.kill()
            process.join(_EXIT_SECONDS)
        process.close()
        self._process = self._conn = None


def _closed(done: "asyncio.Future[Any]", conn: multiprocessing.connection.Connection) -> None:
    if not done.cancelled():
        done.exception()  # retrieved: the child was killed, whatever the thread saw is moot
    conn.close()


def _exchange(conn: multiprocessing.connection.Connection, call: object) -> tuple[bool, Any]:
    conn.send(call)
    answer: tuple[bool, Any] = conn.recv()
    return answer


def _serve(conn: multiprocessing.connection.Connection) -> None:
    """The child's loop: run each call sent, answer (True, result) or (False, exception);
    leave when the pipe closes. Signals are the worker's to handle (a Ctrl-C reaches the whole
    process group): the worker stops or kills its child itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    keep_freed()  # a job's pages are the next one's: not faulted in again each time
    while True:
        try:
            function, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[bool, Any] = (True, function(*args))
        except Exception as e:
            answer = (False, e)
        try:
            conn.send(answer)
        except (EOFError, OSError):
            return
        except Exception:  # an answer that does not pickle: its text instead
            conn.send((False, RuntimeError(traceback.format_exc(limit=-3))))
