"""Settings, read once from the environment at start-up and passed down."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.db.polls import STORE_BLOCK


@dataclass(frozen=True)
class Settings:
    """Where the service finds PostgreSQL, RabbitMQ, the reports directory and the API."""

    database_url: str = "postgresql://postgres@127.0.0.1:5432/storemon"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    reports_dir: Path = Path("reports")
    host: str = "127.0.0.1"
    port: int = 8080
    api_url: str = "http://127.0.0.1:8080"
    shard_stores: int = STORE_BLOCK  # stores per report shard (at most one partition block)
    test_shard_delay: float = 0.0  # tests only: seconds a worker waits before each shard
    api_token: str | None = None  # when set, the API asks for `Authorization: Bearer <token>`
    worker_metrics_port: int | None = None  # where a worker serves its own /metrics

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Settings from `env` (default: os.environ), with the spec's local defaults."""
        env = os.environ if env is None else env
        d = cls()
        return cls(
            database_url=env.get("DATABASE_URL", d.database_url),
            amqp_url=env.get("AMQP_URL", d.amqp_url),
            reports_dir=Path(env.get("REPORTS_DIR", str(d.reports_dir))).absolute(),
            host=env.get("HOST", d.host),
            port=int(env.get("PORT", str(d.port))),
            api_url=env.get("API_URL", d.api_url).rstrip("/"),
            shard_stores=int(env.get("STOREMON_SHARD_STORES", str(d.shard_stores))),
            test_shard_delay=float(env.get("STOREMON_TEST_SHARD_DELAY", "0")),
            api_token=env.get("API_TOKEN") or None,  # empty: no token
            worker_metrics_port=int(env["WORKER_METRICS_PORT"])
            if env.get("WORKER_METRICS_PORT")
            else None,
        )
