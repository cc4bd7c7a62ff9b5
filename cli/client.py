"""The command-line client: trigger a report through the API, follow it, download the CSV."""

import asyncio
import sys
from pathlib import Path

import aiohttp

POLL_INTERVAL = 0.5  # seconds between status queries


def read_store_ids(path: Path) -> list[str]:
    """The store ids of a file, one per line (blank lines, and a `store_id` header, skipped)."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines()]
    return [line for n, line in enumerate(lines) if line and not (n == 0 and line == "store_id")]


async def fetch_report(
    api_url: str,
    out: Path | None,
    body: dict[str, object],
    timeout: float = 600.0,
    token: str | None = None,
) -> int:
    """Trigger with `body` (as_of, from, to, interval, store_ids), show progress on stderr,
    save the CSV; the process exit status."""
    deadline = asyncio.get_running_loop().time() + timeout
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession(raise_for_status=False, headers=headers) as http:
        async with http.post(f"{api_url}/trigger_report", json=body) as r:
            answer = await r.json()
            if r.status != 202:
                print(f"trigger failed ({r.status}): {answer.get('error')}", file=sys.stderr)
                return 1
        report_id = answer["report_id"]
        asked = (
            f" from {answer['from']} to {answer['to']} by {answer['interval']}"
            if "from" in answer
            else ""
        )
        print(f"report {report_id} as of {answer['as_of']}{asked}", file=sys.stderr, flush=True)
        while True:
            async with http.get(f"{api_url}/get_report/{report_id}") as r:
                status = await r.json()
            if status["status"] != "Running":
                break
            if asyncio.get_running_loop().time() > deadline:
                print(
                    f"\nreport {report_id} still running after {timeout:.0f} s; is a worker "
                    "consuming this vhost?",
                    file=sys.stderr,
                )
                return 1
            print(f"\r  running: {status['progress']:6.1%}", end="", file=sys.stderr)
            await asyncio.sleep(POLL_INTERVAL)
        print(file=sys.stderr)
        if status["status"] != "Complete":
            print(f"report {status['status']}: {status.get('error')}", file=sys.stderr)
            return 1
        target = out or Path(f"{report_id}.csv")
        async with http.get(f"{api_url}{status['csv_url']}") as r:
            r.raise_for_status()
            target.write_bytes(await r.read())
        what = "rows" if "interval" in status else "stores"  # a period report: store × period
        print(f"complete: {status['rows']:,} {what} → {target}", file=sys.stderr)
        print(target)
        return 0
