"""The JSON a client reads of a report: the trigger's answer and the status of each kind (the
status itself is shared/reportviews.py: events carry it too)."""

from typing import Any

from shared.db.reports import Report
from shared.reportviews import parameters, status_json

__all__ = ["accepted_json", "status_json"]


def accepted_json(report: Report) -> dict[str, Any]:
    """The trigger's answer: the new report, Running, and what it was asked for."""
    body = {"report_id": report.id, "status": "Running", "as_of": report.as_of}
    return body | parameters(report)
