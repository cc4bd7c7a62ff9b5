"""Settings, read once from the environment at start-up and passed down."""

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from shared.errors import ConfigError
from shared.pollchunks import STORE_BLOCK

T = TypeVar("T")
N = TypeVar("N", int, float)


def _positive(parse: Callable[[str], N]) -> Callable[[str], N]:
    """`parse`, refusing values that are not above zero."""

    def checked(text: str) -> N:
        value = parse(text)
        if value <= 0:
            raise ValueError(text)
        return value

    return checked


_FLAGS = {"true": True, "1": True, "yes": True, "on": True}
_FLAGS |= {"false": False, "0": False, "no": False, "off": False}


def _flag(text: str) -> bool:
    """true or false (also 1/0, yes/no, on/off), in any case."""
    try:
        return _FLAGS[text.strip().lower()]
    except KeyError:
        raise ValueError(text) from None


def _percent(text: str) -> float:
    """A percent from 0 to 100, to the hundredth at most (as the reports round them)."""
    value = float(text)
    if not 0 <= value <= 100 or round(value, 2) != value:
        raise ValueError(text)
    return value


@dataclass(frozen=True)
class Settings:
    """Where the service finds PostgreSQL, RabbitMQ, the reports directory and the API, and
    the few limits operators may tune."""

    database_url: str = "postgresql://postgres@127.0.0.1:5432/storemon"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    reports_dir: Path = Path("reports")
    host: str = "127.0.0.1"
    port: int = 8080
    api_url: str = "http://127.0.0.1:8080"
    shard_stores: int = STORE_BLOCK  # stores per report shard (at most one partition block)
    api_token: str | None = None  # when set, the API asks for `Authorization: Bearer <token>`
    worker_metrics_port: int | None = None  # where a worker serves its own /metrics
    job_timeout: float = 600.0  # seconds one job may take before it counts as a failed attempt
    housekeeping_seconds: float = 60.0  # between housekeeping passes (one worker does each)
    report_retention_days: float = 30.0  # then a report Expires: its files go, its row stays
    polls_retention_days: float = 90.0  # polls older than this before the latest are dropped
    report_stall_seconds: float = 600.0  # a Running report without progress so long: stalled
    uptime_target_percent: float = 99.0  # the uptime a store should reach (summary, dashboard)
    daily_figures: bool = True  # reports use the daily figures (off: every poll, as before)
    alert_after_minutes: float = 30.0  # business minutes down before a store.down event
    max_polls_upload_bytes: int = 1 << 30  # the largest polls file POST /polls takes
    webhook_allow_private: bool = False  # webhook URLs may reach loopback or private addresses
    webhook_retry_seconds: float = 10.0  # a failed delivery's first wait (then ×4 each time)
    # Test hooks, not for production: a worker's computing child spins the CPU this long
    # before each shard (0: never), for its first `test_burn_jobs` shards (0: every one).
    test_burn_seconds: float = 0.0
    test_burn_jobs: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Settings from `env` (default: os.environ), with the spec's local defaults;
        ConfigError naming the variable when a value is malformed."""
        env = os.environ if env is None else env
        d = cls()

        def get(name: str, default: T, parse: Callable[[str], T]) -> T:
            text = env.get(name, "")
            if not text:
                return default
            try:
                return parse(text)
            except ValueError:
                raise ConfigError(f"{name}={text!r} is not a valid value") from None

        return cls(
            database_url=get("DATABASE_URL", d.database_url, str),
            amqp_url=get("AMQP_URL", d.amqp_url, str),
            reports_dir=get("REPORTS_DIR", d.reports_dir, Path).absolute(),
            host=get("HOST", d.host, str),
            port=get("PORT", d.port, int),
            api_url=get("API_URL", d.api_url, str).rstrip("/"),
            shard_stores=get("STOREMON_SHARD_STORES", d.shard_stores, _positive(int)),
            api_token=get("API_TOKEN", None, str),  # empty: no token
            worker_metrics_port=get("WORKER_METRICS_PORT", None, int),
            job_timeout=get("JOB_TIMEOUT_SECONDS", d.job_timeout, _positive(float)),
            housekeeping_seconds=get(
                "HOUSEKEEPING_SECONDS", d.housekeeping_seconds, _positive(float)
            ),
            report_retention_days=get(
                "REPORT_RETENTION_DAYS", d.report_retention_days, _positive(float)
            ),
            polls_retention_days=get(
                "POLLS_RETENTION_DAYS", d.polls_retention_days, _positive(float)
            ),
            report_stall_seconds=get(
                "REPORT_STALL_SECONDS", d.report_stall_seconds, _positive(float)
            ),
            alert_after_minutes=get("ALERT_AFTER_MINUTES", d.alert_after_minutes, _positive(float)),
            max_polls_upload_bytes=get(
                "MAX_POLLS_UPLOAD_BYTES", d.max_polls_upload_bytes, _positive(int)
            ),
            webhook_allow_private=get("WEBHOOK_ALLOW_PRIVATE", d.webhook_allow_private, _flag),
            webhook_retry_seconds=get(
                "WEBHOOK_RETRY_SECONDS", d.webhook_retry_seconds, _positive(float)
            ),
            daily_figures=get("STOREMON_DAILY_FIGURES", d.daily_figures, _flag),
            uptime_target_percent=get("UPTIME_TARGET_PERCENT", d.uptime_target_percent, _percent),
            test_burn_seconds=get("STOREMON_TEST_BURN_SECONDS", d.test_burn_seconds, float),
            test_burn_jobs=get("STOREMON_TEST_BURN_JOBS", d.test_burn_jobs, int),
        )
