"""The operation catalog: each operation's name, title, safety class and toolset, in one place.

Tool selection (`--toolsets`, `--tools`, `--exclude-tools`, `--read-only`) and the sentences that say why an
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
    #: The same call twice leaves things as one call would (a deploy starts a second deployment: not idempotent).
    idempotent: bool = True
    #: The toolset the operation belongs to (`--toolsets`): `jobs`, the default, or the opt-in `deploy`.
    toolset: str = "jobs"


#: The toolsets, in the order their tools are listed; `jobs` is the default.
TOOLSETS: tuple[str, ...] = ("jobs", "deploy")
DEFAULT_TOOLSETS: tuple[str, ...] = ("jobs",)

CATALOG: tuple[OperationSpec, ...] = (
    OperationSpec("get-job-id", "Get job", read_only=True, destructive=False),
    OperationSpec("edit-job", "Edit job", read_only=False, destructive=False),
    OperationSpec("delete-job", "Delete job", read_only=False, destructive=True),
    OperationSpec("list-last-job-commits", "List last job commits", read_only=True, destructive=False),
    OperationSpec("get-job-status", "Get job status", read_only=True, destructive=False),
    OperationSpec("deploy-job", "Deploy job", read_only=False, destructive=False, idempotent=False, toolset="deploy"),
    OperationSpec("stop-job", "Stop job", read_only=False, destructive=True, toolset="deploy"),
    OperationSpec("list-job-deployments", "List job deployments", read_only=True, destructive=False, toolset="deploy"),
    OperationSpec("get-job-logs", "Get job logs", read_only=True, destructive=False, toolset="deploy"),
)  # fmt: skip
OPERATION_NAMES: tuple[str, ...] = tuple(spec.name for spec in CATALOG)
SPECS: Mapping[str, OperationSpec] = {spec.name: spec for spec in CATALOG}


class UnknownOperationError(ValueError):
    """A --tools / --exclude-tools name that is not one of the catalogued operations."""


def select_operations(
    *,
    read_only: bool = False,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    toolsets: Iterable[str] = DEFAULT_TOOLSETS,
) -> tuple[str, ...]:
    """The operation names to offer: the enabled toolsets' tools, then --tools, --exclude-tools, --read-only.

    An unknown name is refused, never silently ignored (a tool of a toolset that is off is a known name).
    """
    include, exclude, enabled = tuple(include), tuple(exclude), set(toolsets)
    unknown = sorted({*include, *exclude} - set(OPERATION_NAMES))
    if unknown:
        raise UnknownOperationError(
            f"Unknown tool name(s): {', '.join(unknown)}. Valid names: {', '.join(OPERATION_NAMES)}."
        )
    return tuple(
        spec.name
        for spec in CATALOG
        if spec.toolset in enabled
        and (not include or spec.name in include)
        and spec.name not in exclude
        and not (read_only and not spec.read_only)
    )


def refusals_for(
    offered: Iterable[str], *, read_only: bool, toolsets: Iterable[str] = DEFAULT_TOOLSETS
) -> Mapping[str, str]:
    """For each operation this server does not offer, the sentence that says why and what to do.

    Both adapters say exactly these words: the MCP server as a tool error, REST in its 405 problem.
    """
    offered = tuple(offered)
    offered_text = ", ".join(offered) or "none"
    enabled = set(toolsets)
    refusals: dict[str, str] = {}
    for spec in CATALOG:
        if spec.name in offered:
            continue
        if spec.toolset not in enabled:
            refusals[spec.name] = (
                f"{spec.name} is in the {spec.toolset} toolset, which this server does not offer (--toolsets / "
                f"QOVERY_MCP_TOOLSETS, e.g. --toolsets jobs,{spec.toolset}). Tools offered: {offered_text}."
            )
        elif read_only and not spec.read_only:
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
