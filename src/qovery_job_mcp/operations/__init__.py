"""The operations core: what every adapter calls, in three parts.

- `catalog`: the five operations' names, titles and safety classes; tool selection.
- `validation`: every input rule and limit, checked before Qovery is called.
- `jobs`: `JobOperations`, the Qovery calls and the shapes of their results.

Adapters import from here; the names below are the core's public surface.
"""

from qovery_job_mcp.operations.catalog import (
    CATALOG,
    OPERATION_NAMES,
    SPECS,
    OperationSpec,
    UnknownOperationError,
    refusals_for,
    select_operations,
)
from qovery_job_mcp.operations.jobs import JobOperations, dry_run_result, job_version, missing_job_result
from qovery_job_mcp.operations.validation import (
    DEFAULT_COMMIT_LIMIT,
    GIT_SHA_RE,
    MAX_COMMIT_LIMIT,
    MAX_NESTING,
    check_arguments,
    check_edit_arguments,
    nesting_exceeds,
    validate_commit_ref,
    validate_job_id,
    validate_limit,
)

__all__ = [
    "CATALOG",
    "DEFAULT_COMMIT_LIMIT",
    "GIT_SHA_RE",
    "MAX_COMMIT_LIMIT",
    "MAX_NESTING",
    "OPERATION_NAMES",
    "SPECS",
    "JobOperations",
    "OperationSpec",
    "UnknownOperationError",
    "check_arguments",
    "check_edit_arguments",
    "dry_run_result",
    "job_version",
    "missing_job_result",
    "nesting_exceeds",
    "refusals_for",
    "select_operations",
    "validate_commit_ref",
    "validate_job_id",
    "validate_limit",
]
