"""MCP over stdio that answers every line, even the ones it cannot read.

The SDK's stdio transport hands a line that is not a JSON-RPC message to the server as an
exception, and the server drops it after a debug log: the client that sent it waits forever. Here
every such line gets its JSON-RPC error (-32700 when it is not JSON, -32600 when it is JSON but not
a message, with the request's id when one can be found), and the server keeps serving. A request
whose id is not a string or an integer is one of those, not a notification.

Also handled: a line longer than `MAX_MESSAGE_BYTES` is refused without being held in memory; stdin
closing ends the server at once (in-flight calls are cancelled: nobody is left to read their
answers); stdout closing (the client died) ends it too. As in the SDK, while serving, fd 0 reads
from the null device and fd 1 goes to stderr, so a stray `print` or a child process cannot corrupt
the JSON-RPC stream.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, BinaryIO

import anyio
import anyio.from_thread
import anyio.lowlevel
import mcp_types as types
from mcp.server import MCPServer
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

logger = logging.getLogger(__name__)

#: The largest message read; the HTTP transport stops at 4 MiB, stdio (a local, trusted pipe)
#: allows more, for an edit carrying a large body.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
_CHUNK = 1024 * 1024
#: How long the last answers may take to be written once serving ends.
DRAIN_SECONDS = 5.0


class _TooLarge:
    """A line longer than MAX_MESSAGE_BYTES (already skipped)."""


TOO_LARGE = _TooLarge()
Line = bytes | _TooLarge | None  # None: end of input


def read_lines(source: BinaryIO, deliver: Any, limit: int = MAX_MESSAGE_BYTES) -> None:
    """Read `source` line by line and hand each to `deliver`; None at the end. Runs in a thread."""
    while True:
        line = source.readline(limit + 1)
        if not line:
            deliver(None)
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while True:  # skip the rest of the oversized line without keeping it
                more = source.readline(_CHUNK)
                if not more or more.endswith(b"\n"):
                    break
            deliver(TOO_LARGE)
            continue
        deliver(line)


def error_for(raw: bytes | _TooLarge) -> types.JSONRPCError | None:
    """The JSON-RPC error answering a line that is not a valid message, or None to stay silent."""
    if isinstance(raw, _TooLarge):
        return _error(
            None, types.INVALID_REQUEST, f"Message larger than {MAX_MESSAGE_BYTES} bytes; not read."
        )
    try:
        types.jsonrpc_message_adapter.validate_json(raw, by_name=False)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            reason = first["msg"].removeprefix("Invalid JSON: ")[:120]
            return _error(None, types.PARSE_ERROR, f"Parse error: the line is not JSON ({reason}).")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return _error(None, types.PARSE_ERROR, "Parse error: the line is not JSON.")
    request_id = None
    if isinstance(body, dict):
        if "method" not in body and ("result" in body or "error" in body):
            return None  # a malformed *response*: JSON-RPC never answers a response
        candidate = body.get("id")
        if isinstance(candidate, (str, int)) and not isinstance(candidate, bool):
            request_id = candidate
    return _error(
        request_id,
        types.INVALID_REQUEST,
        "Invalid request: a JSON-RPC 2.0 message needs jsonrpc '2.0', a string method and an id "
        "that is a string or an integer.",
    )


def _error(request_id: str | int | None, code: int, message: str) -> types.JSONRPCError:
    return types.JSONRPCError(jsonrpc="2.0", id=request_id, error=types.ErrorData(code=code, message=message))


def parse_line(raw: bytes) -> types.JSONRPCMessage | None:
    """The message on this line, or None when it is not one.

    A request whose id is neither a string nor an integer (`true`, `1.5`, an object, null) reads
    as a notification to the SDK, which drops the id and never answers: it is not a message here,
    so `error_for` answers it -32600 and the client is not left waiting.
    """
    try:
        message = types.jsonrpc_message_adapter.validate_json(raw, by_name=False)
    except (ValidationError, ValueError, RecursionError):
        return None
    if isinstance(message, types.JSONRPCNotification) and b'"id"' in raw:
        with suppress(ValueError, RecursionError):
            body = json.loads(raw)
            if isinstance(body, dict) and "id" in body:
                return None
    return message


@contextmanager
def claimed_stdio() -> Iterator[tuple[BinaryIO, BinaryIO]]:
    """Private handles on the wire; fd 0 reads /dev/null and fd 1 writes to stderr meanwhile."""
    sys.stdout.flush()
    wire_in_fd, wire_out_fd = os.dup(0), os.dup(1)
    null_fd = os.open(os.devnull, os.O_RDONLY)
    saved_in, saved_out = os.dup(0), os.dup(1)
    try:
        os.dup2(null_fd, 0)
        os.dup2(2, 1)
        # The input handle is never closed: its reader thread may still be blocked in a read, and
        # closing a buffered file under a blocked reader waits for that read, i.e. forever.
        wire_in = os.fdopen(wire_in_fd, "rb")
        with os.fdopen(wire_out_fd, "wb", buffering=0) as wire_out:
            yield wire_in, wire_out
    finally:
        with suppress(OSError):
            os.dup2(saved_in, 0)
            os.dup2(saved_out, 1)
        for fd in (null_fd, saved_in, saved_out):
            with suppress(OSError):
                os.close(fd)


async def serve_stdio(server: MCPServer[Any], wire_in: BinaryIO, wire_out: BinaryIO) -> None:
    """Serve `server` over these byte streams until input ends or output breaks."""
    # MCPServer keeps its protocol engine here; the SDK's own clients reach it the same way.
    lowlevel = server._lowlevel_server
    to_server_send, to_server = anyio.create_memory_object_stream[SessionMessage | Exception](16)
    from_server, from_server_receive = anyio.create_memory_object_stream[SessionMessage](16)
    lines_send, lines = anyio.create_memory_object_stream[Line](0)
    errors = from_server.clone()
    token = anyio.lowlevel.current_token()
    outgoing: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def deliver(item: Line) -> None:
        with suppress(RuntimeError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            anyio.from_thread.run(lines_send.send, item, token=token)

    async def pump_input() -> None:
        async with to_server_send, errors, lines:
            async for raw in lines:
                if raw is None:
                    return
                if isinstance(raw, bytes):
                    if not raw.strip():
                        continue
                    message = parse_line(raw)
                    if message is not None:
                        await to_server_send.send(SessionMessage(message))
                        continue
                answer = error_for(raw)
                logger.warning("stdio: unreadable message (%d bytes) answered with an error", _size(raw))
                if answer is not None:
                    await errors.send(SessionMessage(answer))

    async def serialize_output() -> None:
        async with from_server_receive:
            async for session_message in from_server_receive:
                data = session_message.message.model_dump_json(by_alias=True, exclude_unset=True)
                outgoing.put(data.encode() + b"\n")

    async with anyio.create_task_group() as tg:

        def stdout_broken() -> None:
            with suppress(RuntimeError):
                anyio.from_thread.run_sync(tg.cancel_scope.cancel, token=token)

        # Daemon threads, not anyio workers: a read (or a write nobody reads) may block for good,
        # and must not keep the process alive once serving is over.
        threading.Thread(target=read_lines, args=(wire_in, deliver), name="mcp-stdin", daemon=True).start()
        writer = threading.Thread(
            target=write_lines, args=(wire_out, outgoing, stdout_broken), name="mcp-stdout", daemon=True
        )
        writer.start()
        tg.start_soon(serialize_output)
        async with anyio.create_task_group() as serving:
            serving.start_soon(pump_input)
            await lowlevel.run(to_server, from_server, lowlevel.create_initialization_options())
            serving.cancel_scope.cancel()
        # Both senders are closed now: serialize_output drains what the server last said.
        tg.cancel_scope.deadline = anyio.current_time() + DRAIN_SECONDS
    outgoing.put(None)
    await anyio.to_thread.run_sync(writer.join, DRAIN_SECONDS, abandon_on_cancel=True)


def write_lines(wire_out: BinaryIO, outgoing: queue.SimpleQueue[bytes | None], broken: Any) -> None:
    """Write queued lines to stdout until None; tell `broken` if the client stopped reading."""
    while (data := outgoing.get()) is not None:
        try:
            wire_out.write(data)
            wire_out.flush()
        except OSError:
            logger.warning("stdio: stdout is closed; stopping")
            broken()
            return


def _size(raw: bytes | _TooLarge) -> int:
    return len(raw) if isinstance(raw, bytes) else MAX_MESSAGE_BYTES


def run_stdio(server: MCPServer[Any]) -> None:
    """Serve over this process's stdin and stdout; returns when the client closes stdin."""
    with claimed_stdio() as (wire_in, wire_out):
        anyio.run(serve_stdio, server, wire_in, wire_out)
