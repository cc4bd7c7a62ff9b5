"""The status JSON of a report, as `GET /get_report` answers it and a report.completed or
report.failed event carries it."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the reports table records events with this view of its rows
    from shared.db.reports import Report


def parameters(report: "Report") -> dict[str, Any]:
    """A period report's range, interval, and how many stores it is about (null: all)."""
    periods = report.periods
    if periods is None:
        return {}
    return {
        "from": periods.first.isoformat(),
        "to": periods.last.isoformat(),
        "interval": periods.interval,
        "store_ids": report.store_count,
    }


def status_json(report: "Report") -> dict[str, Any]:
    """The get_report answer for a known report (the spec's fields per status)."""
    body: dict[str, Any] = {
        "report_id": report.id,
        "status": report.status,
        "as_of": report.as_of,
        "requested_at": report.requested_at,
    } | parameters(report)
    if report.status == "Running":
        total, done = report.shards_total, report.shards_done
        body["progress"] = round(done / total, 3) if total else 0.0
        body["shards_total"] = report.shards_total
        body["shards_done"] = report.shards_done
    else:
        body["finished_at"] = report.finished_at
    if report.status == "Complete":
        body["rows"] = report.rows
        body["csv_url"] = f"/reports/{report.id}.csv"
    elif report.status == "Failed":
        body["error"] = report.error
    elif report.status == "Expired":  # how it ended, beside its files being gone
        body["final_status"] = report.expired_from
        if report.expired_from == "Complete":
            body["rows"] = report.rows
        elif report.expired_from == "Failed":
            body["error"] = report.error
    return body
