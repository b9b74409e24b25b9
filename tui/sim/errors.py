"""Errors the simulator answers with: Alpaca's HTTP status, numeric code and message."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An Alpaca error body: {"code": ..., "message": ..., **extra}."""

    def __init__(self, status: int, code: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.extra}


def unprocessable(message: str, **extra: Any) -> ApiError:
    """422 / 42210000: bad parameters, unknown assets, impossible state changes."""
    return ApiError(422, 42210000, message, **extra)


def forbidden(message: str, **extra: Any) -> ApiError:
    """403 / 40310000: the account may not do this (buying power, qty, shorting, wash trade)."""
    return ApiError(403, 40310000, message, **extra)


def not_found(message: str) -> ApiError:
    return ApiError(404, 40410000, message)


def malformed(message: str = "request body format is invalid") -> ApiError:
    return ApiError(400, 40010000, message)


UNAUTHORIZED = ApiError(401, 40110000, "request is not authorized")
RATE_LIMITED = ApiError(429, 42910000, "rate limit exceeded")
PDT_DENIED = ApiError(403, 40310100, "trade denied due to pattern day trading protection")
