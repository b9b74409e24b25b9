"""Turn anything a broker call raised into plain words, with Alpaca's HTTP status and code.

alpaca-py's APIError.code/.message run json.loads on every access and raise on a body that
is not JSON or has no code (docs/api-facts.md §4), so the body is parsed here, defensively.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..text import clean


class Redirected(Exception):
    """The server answered with a redirect, which is never followed (the keys would go along)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"redirect (HTTP {status}) not followed")
        self.status = status


@dataclass(frozen=True)
class Problem:
    message: str
    status: int | None = None  # HTTP status, when there was an answer
    code: int | None = None  # Alpaca's error code, when the body had one
    transport: bool = False  # no answer at all: timeout, refused, dropped

    @property
    def is_rejection(self) -> bool:
        """The server refused the request on its merits (not a transport or server fault)."""
        return self.status is not None and 400 <= self.status < 500 and self.status not in (401, 429)

    def __str__(self) -> str:
        bits = [self.message]
        if self.code is not None:
            bits.append(f"({self.code})")
        if self.status is not None:
            bits.append(f"[HTTP {self.status}]")
        return " ".join(bits)


def _from_body(text: str, status: int | None) -> Problem:
    message, code = "", None
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        raw_code = body.get("code")
        if isinstance(raw_code, int) or (isinstance(raw_code, str) and raw_code.isdigit()):
            code = int(raw_code)
        message = clean(body.get("message") or "", one_line=True, limit=200).strip()
    elif text and not text.lstrip().startswith("<"):  # an HTML page from a gateway says nothing useful
        message = clean(text.strip().splitlines()[0], one_line=True, limit=200).strip()
    if not message:
        message = f"the server answered HTTP {status}{_reason(status)}" if status else "the server gave no answer"
    return Problem(message, status, code)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return f" ({HTTPStatus(status).phrase})"
    except ValueError:
        return ""


def describe(err: BaseException) -> Problem:
    """Plain words for any failure of a broker call."""
    from alpaca.common.exceptions import APIError
    import requests

    if isinstance(err, APIError):
        response = err.response
        status = response.status_code if response is not None else None
        text = response.text if response is not None else str(err)
        return _from_body(text, status)
    if isinstance(err, Redirected):
        # Not the server refusing the request; no order was placed by following it either.
        return Problem("the server answered with a redirect, which is not followed", err.status)
    if isinstance(err, requests.Timeout):
        return Problem("the server did not answer in time", transport=True)
    if isinstance(err, requests.ConnectionError):
        return Problem("cannot reach the server", transport=True)
    if isinstance(err, requests.RequestException):
        return Problem(f"request failed: {type(err).__name__}", transport=True)
    text = clean(str(err).strip().splitlines()[0], one_line=True, limit=200) if str(err).strip() else ""
    return Problem(f"{type(err).__name__}: {text}" if text else type(err).__name__)
