"""Service processes as the benchmarks run them: `storemon api` and `storemon worker` started
from the command line (never imported), each incarnation logging to its own file, a vhost of
their own, and what /proc says about them."""

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

STOREMON = str(Path(sys.executable).with_name("storemon"))
STOP_GRACE = 15.0  # seconds a service process gets after SIGTERM before SIGKILL


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_app(url: str, app: str) -> str:
    """The PostgreSQL URL with an application_name, so pg_stat_activity says whose a session is."""
    return f"{url}{'&' if '?' in url else '?'}application_name={app}"


def _children(pid: int) -> list[int]:
    """The child processes of a live process (Linux)."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def proc_rss_mb(pid: int, field: str = "VmRSS") -> float | None:
    """Resident memory of a live process in MB (None when it is gone); `field` "VmHWM" for its
    peak so far."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def memory_pressure() -> float | None:
    """The share of the last 10 s in which every task of the host waited for memory (%)."""
    try:
        for line in Path("/proc/pressure/memory").read_text().splitlines():
            if line.startswith("full"):
                return float(line.split()[1].removeprefix("avg10="))
    except (OSError, ValueError, IndexError):
        return None
    return None


def proc_fds(pid: int) -> int | None:
    """Open file descriptors of a live process (None when it is gone)."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


async def run_command(
    args: list[str], env: dict[str, str] | None = None, timeout: float = 600.0
) -> tuple[int, str, str]:
    """Run a command to its end: exit status, standard output, standard error."""
    proc = await asyncio.create_subprocess_exec(
        *args,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


async def rabbitmqctl(*args: str, check: bool = True) -> str:
    """`rabbitmqctl -q ARGS`; its output. RuntimeError when it fails and `check`."""
    rc, out, err = await run_command(["rabbitmqctl", "-q", *args], timeout=60.0)
    if rc != 0 and check:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {err.strip() or out.strip()}")
    return out


class Service:
    """One service process (the API or a worker) that can be killed and started again; every
    incarnation logs to its own file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name, self.args, self.env, self.log_dir = name, args, env, logs
        self.proc: asyncio.subprocess.Process | None = None
        self.logs: list[Path] = []
        self.exits: list[str] = []  # exits nobody asked for
        self._killed: set[int] = set()  # pids killed on purpose
        self._stopping = False
        self._watchers: set[asyncio.Task[None]] = set()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.returncode is None else None

    @property
    def log(self) -> Path:
        return self.logs[-1]

    async def start(self) -> None:
        log = self.log_dir / f"{self.name}.{len(self.logs)}.log"
        with log.open("ab") as f:
            self.proc = await asyncio.create_subprocess_exec(
                *self.args, env=self.env, stdin=asyncio.subprocess.DEVNULL, stdout=f, stderr=f
            )
        self.logs.append(log)
        watcher = asyncio.create_task(self._watch(self.proc, log))
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)

    async def _watch(self, proc: asyncio.subprocess.Process, log: Path) -> None:
        """A process that ends on its own is a finding: note it, and start it again."""
        rc = await proc.wait()
        if proc.pid in self._killed or self._stopping or proc is not self.proc:
            return
        lines = log.read_text(errors="replace").strip().splitlines() or ["(no output)"]
        self.exits.append(
            f"{self.name} (pid {proc.pid}) exited with {rc} at {time.strftime('%H:%M:%S')}, "
            f"saying {lines[-1][:200]!r}; see {log}"
        )
        await asyncio.sleep(1.0)
        if not self._stopping and proc is self.proc:
            await self.start()

    async def kill_and_restart(self) -> int | None:
        """SIGKILL, then a new incarnation; the pid killed."""
        proc, pid = self.proc, self.pid
        if proc is None or pid is None:
            return None  # not running (an exit of its own, restarting)
        self._killed.add(pid)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        await self.start()
        return pid

    def stopping(self) -> None:
        """From now on an exit is expected (the run ends): no restart."""
        self._stopping = True

    async def stop(self) -> None:
        """SIGTERM, and SIGKILL after STOP_GRACE seconds."""
        self._stopping = True
        proc = self.proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), STOP_GRACE)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        for watcher in list(self._watchers):
            watcher.cancel()

    def logged(self, text: str) -> bool:
        """Whether the current incarnation logged a message holding `text`."""
        try:
            return text in self.log.read_text(errors="replace")
        except OSError:
            return False


@contextlib.asynccontextmanager
async def vhost(prefix: str) -> AsyncIterator[str]:
    """A RabbitMQ vhost of its own (guest may do everything) until the block ends; its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    await rabbitmqctl("add_vhost", name)
    try:
        await rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        yield name
    finally:
        await rabbitmqctl("delete_vhost", name, check=False)


@dataclass
class Running:
    """The API (at `url`) and the workers of one benchmark."""

    url: str
    api: Service
    workers: list[Service]

    def worker_peak_rss_mb(self) -> float:
        """The largest peak resident memory (VmHWM) of the workers' current incarnations, each
        with its child processes (the computing child: the sum of their peaks)."""
        peaks = []
        for w in self.workers:
            if w.pid is None:
                continue
            mine = [proc_rss_mb(pid, "VmHWM") for pid in (w.pid, *_children(w.pid))]
            peaks.append(sum(p for p in mine if p is not None))
        return max(peaks, default=float("nan"))


@contextlib.asynccontextmanager
async def running(
    database_url: str, amqp_server: str, reports_dir: Path, workers: int, **env: str
) -> AsyncIterator[Running]:
    """The API and `workers` workers on a vhost of their own, ready, until the block ends;
    their logs in `reports_dir`/../logs."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    logs = reports_dir.parent / "logs"
    logs.mkdir(exist_ok=True)
    port = free_port()
    async with vhost("storemon_bench") as name:
        environment = {
            **os.environ,
            "DATABASE_URL": database_url,
            "AMQP_URL": f"{amqp_server}/{name}",
            "REPORTS_DIR": str(reports_dir.absolute()),
            "PORT": str(port),
            **env,
        }
        api = Service("api", [STOREMON, "api"], environment, logs)
        started = [
            Service(f"worker{n}", [STOREMON, "worker"], environment, logs) for n in range(workers)
        ]
        try:
            for process in (api, *started):
                await process.start()
            url = f"http://127.0.0.1:{port}"
            await until_ready(url)
            yield Running(url, api, started)
        finally:
            await asyncio.gather(*(p.stop() for p in (api, *started)))


async def until_ready(url: str, timeout: float = 30.0) -> None:
    """Wait until the API at `url` answers /readyz with 200."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{url}/readyz") as answer:
                    if answer.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the API at {url} was not ready within {timeout:g} s")
