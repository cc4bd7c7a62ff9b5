"""The command-line client: trigger a report through the API, follow it, download the CSV."""

import asyncio
import sys
from pathlib import Path

import aiohttp

POLL_INTERVAL = 0.5  # seconds between status queries


async def fetch_report(
    api_url: str,
    out: Path | None,
    as_of: str | None,
    timeout: float = 600.0,
    token: str | None = None,
) -> int:
    """Trigger, show progress on stderr, save the CSV; the process exit status."""
    deadline = asyncio.get_running_loop().time() + timeout
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession(raise_for_status=False, headers=headers) as http:
        body = {"as_of": as_of} if as_of else {}
        async with http.post(f"{api_url}/trigger_report", json=body) as r:
            answer = await r.json()
            if r.status != 202:
                print(f"trigger failed ({r.status}): {answer.get('error')}", file=sys.stderr)
                return 1
        report_id = answer["report_id"]
        print(f"report {report_id} as of {answer['as_of']}", file=sys.stderr)
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
        print(f"complete: {status['rows']:,} stores → {target}", file=sys.stderr)
        print(target)
        return 0
