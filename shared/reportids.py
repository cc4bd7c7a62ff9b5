"""What a report id is: a lowercase canonical UUID (the one definition; the OpenAPI document,
the routes and the report files use it)."""

import re

REPORT_ID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_REPORT_ID = re.compile(REPORT_ID_PATTERN)


def is_report_id(text: str) -> bool:
    """True for a lowercase canonical UUID, the only form of report id."""
    return _REPORT_ID.fullmatch(text) is not None
