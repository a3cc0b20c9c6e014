"""The operation catalog: each operation's name, title and safety class, in one place.

Tool selection (`--tools`, `--exclude-tools`, `--read-only`) and the sentences that say why an
operation is not offered live here too, so the MCP server and REST refuse in the same words.
It imports nothing of the project: `config` checks tool names against it without loading the core.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# The operation catalog: one place for each operation's name, title and safety class
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OperationSpec:
    """What every adapter needs to know about an operation before it runs: its name and safety class."""

    name: str
    title: str
    read_only: bool
    destructive: bool


CATALOG: tuple[OperationSpec, ...] = (
    OperationSpec("get-job-id", "Get job", read_only=True, destructive=False),
    OperationSpec("edit-job", "Edit job", read_only=False, destructive=False),
    OperationSpec("delete-job", "Delete job", read_only=False, destructive=True),
    OperationSpec("list-last-job-commits", "List last job commits", read_only=True, destructive=False),
    OperationSpec("get-job-status", "Get job status", read_only=True, destructive=False),
)
OPERATION_NAMES: tuple[str, ...] = tuple(spec.name for spec in CATALOG)
SPECS: Mapping[str, OperationSpec] = {spec.name: spec for spec in CATALOG}


class UnknownOperationError(ValueError):
    """A --tools / --exclude-tools name that is not one of the five operations."""


def select_operations(
    *, read_only: bool = False, include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> tuple[str, ...]:
    """The operation names to offer; an unknown name is refused, never silently ignored."""
    include, exclude = tuple(include), tuple(exclude)
    unknown = sorted({*include, *exclude} - set(OPERATION_NAMES))
    if unknown:
        raise UnknownOperationError(
            f"Unknown tool name(s): {', '.join(unknown)}. Valid names: {', '.join(OPERATION_NAMES)}."
        )
    return tuple(
        spec.name
        for spec in CATALOG
        if (not include or spec.name in include)
        and spec.name not in exclude
        and not (read_only and not spec.read_only)
    )


def refusals_for(offered: Iterable[str], *, read_only: bool) -> Mapping[str, str]:
    """For each operation this server does not offer, the sentence that says why and what to do.

    Both adapters say exactly these words: the MCP server as a tool error, REST in its 405 problem.
    """
    offered = tuple(offered)
    offered_text = ", ".join(offered) or "none"
    refusals: dict[str, str] = {}
    for spec in CATALOG:
        if spec.name in offered:
            continue
        if read_only and not spec.read_only:
            refusals[spec.name] = (
                f"{spec.name} is refused: this server runs in read-only mode (--read-only / "
                f"QOVERY_MCP_READ_ONLY), so it cannot change or delete jobs. Tools offered: {offered_text}. "
                "Ask its operator for a server without read-only mode to make this change."
            )
        else:
            refusals[spec.name] = (
                f"{spec.name} is turned off on this server (--tools / --exclude-tools). Tools offered: "
                f"{offered_text}."
            )
    return refusals
