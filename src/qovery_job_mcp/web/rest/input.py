"""Strict parsing of what a REST caller sends: the path's job id, the query, the JSON body.

Strict because a lenient parser turns mistakes into actions: an unknown query parameter is refused
(a misspelt `?dryrun=true` must not become a real edit), and anything unparseable is a 400 problem
with a sentence, never a 500. Every value rule (ids, SHAs, limits, nesting) is the operations layer's, shared with the MCP tools.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from qovery_job_mcp.operations import VERSION_RE, validate_commit_ref, validate_job_id, validate_limit
from qovery_job_mcp.qovery.errors import InvalidInputError, JobError, quote_input

#: A job's settings are a few kilobytes; anything near this is not a job.
MAX_BODY_BYTES = 1024 * 1024


class PayloadTooLargeError(JobError):
    http_status = 413
    kind = "payload-too-large"
    title = "Body too large"


class UnsupportedMediaTypeError(JobError):
    http_status = 415
    kind = "unsupported-media-type"
    title = "Unsupported media type"


def job_id_from_path(request: Request) -> str:
    return validate_job_id(str(request.path_params["jobid"]))


def boolean(name: str, value: str) -> bool:
    if value not in ("true", "false"):
        raise InvalidInputError(f"{name} must be true or false, got {quote_input(value)}.")
    return value == "true"


def sha(name: str, value: str) -> str | None:
    return validate_commit_ref(name, value)


def limit(name: str, value: str) -> int:
    return validate_limit(int(value) if re.fullmatch(r"-?\d{1,9}", value) else value)


QueryParser = Callable[[str, str], Any]


def query(request: Request, **parsers: QueryParser) -> dict[str, Any]:
    """The route's query parameters, parsed; an unknown or repeated one is refused.

    Refusing unknown names matters for writes: a misspelt `?dryrun=true` must not become a real edit.
    """
    params = request.query_params
    unknown = sorted(set(params.keys()) - parsers.keys())
    if unknown:
        takes = ", ".join(parsers) if parsers else "no query parameters"
        raise InvalidInputError(
            f"Unknown query parameter(s): {', '.join(quote_input(k) for k in unknown[:5])}. This route takes {takes}."
        )
    values: dict[str, Any] = {}
    for name, parse in parsers.items():
        given = params.getlist(name)
        if len(given) > 1:
            raise InvalidInputError(f"Query parameter {name} is given {len(given)} times; give it once.")
        if given:
            values[name] = parse(name, given[0])
    return values


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is out of range for a number")
    return value


async def json_body(request: Request, accepted: tuple[str, ...]) -> Any:
    """The request body as JSON, or a 400/413/415 error that says how to send it."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in accepted:
        raise UnsupportedMediaTypeError(
            f"The body must be sent as Content-Type: {' or '.join(accepted)}, "
            f"got {quote_input(media_type) if media_type else 'none'}."
        )
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            raise PayloadTooLargeError(
                f"The body is larger than {MAX_BODY_BYTES // 1024} KiB; a job's settings are a few KiB. "
                "Send only the job settings."
            )
    if not raw.strip():
        raise InvalidInputError(
            'The request body is empty: send a JSON object, e.g. {"source": {"image": {"tag": "1.9.0"}}}.'
        )
    try:
        body = json.loads(bytes(raw), parse_constant=_refuse_constant, parse_float=_finite_float)
    except UnicodeDecodeError:
        raise InvalidInputError("The request body is not UTF-8 text; send a JSON object in UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"The request body is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
            "send a JSON object."
        ) from None
    except (ValueError, RecursionError) as exc:
        reason = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
        raise InvalidInputError(
            f"The request body is not valid JSON ({reason}); send a JSON object."
        ) from None
    return body


def if_match(request: Request) -> str | None:
    """The version an `If-Match` names (a strong ETag, quoted), or None when absent or `*`.

    A weak or unquoted validator is refused: it cannot say which version the caller saw. So is a quoted value that
    is no version this server hands out (16 lowercase hex digits): "the job changed since 'garbage'" would be false.
    """
    raw = request.headers.get("if-match")
    if raw is None or raw.strip() == "*":
        return None
    value = raw.strip()
    if not (len(value) == 18 and value[0] == value[-1] == '"' and VERSION_RE.fullmatch(value[1:-1])):
        raise InvalidInputError(
            f'If-Match must be one strong ETag from a previous answer, such as "3f9a1c0b7d2e4a68", got '
            f"{quote_input(raw)}."
        )
    return value[1:-1]
