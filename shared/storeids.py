"""What a store id is: an opaque string, trimmed of the whitespace around it (never converted
to a number), 1 to 255 bytes once trimmed."""

WHITESPACE = " \t\n\r\f\v"  # what is trimmed around a store_id (Python's str.strip())
MAX_STORE_ID_BYTES = 255


def fits(store_id: str) -> bool:
    """Whether a trimmed store_id is 1 to MAX_STORE_ID_BYTES bytes."""
    if len(store_id) <= MAX_STORE_ID_BYTES // 4:  # 4 bytes a character at most
        return len(store_id) > 0
    return len(store_id.encode("utf-8", "surrogatepass")) <= MAX_STORE_ID_BYTES
