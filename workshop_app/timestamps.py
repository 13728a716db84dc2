"""Timestamps as the API writes them: UTC, ISO 8601 to the millisecond, with a Z."""

from datetime import UTC, datetime


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def seconds_since(timestamp: str) -> float:
    """Seconds from a now_iso() timestamp until now."""
    then = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return round((datetime.now(UTC) - then).total_seconds(), 3)
