"""The operations core: what every adapter calls.

- `validation`: every input rule and limit, checked before Qovery is called.
- `jobs`: `JobOperations`, the Qovery calls and the shapes of their results.
- `confirming`: the confirmation port (`Question`, `Verdict`, `Reply`, `Confirmer`, `NEVER_ASKS`).
- `locks`: the per-job write lock (`JobLocks`, `InProcessJobLocks`).
- `write_flow` and `writes`: the one write flow, and edit/delete as its steps.

The catalog (names, titles, safety classes, tool selection) is `qovery_job_mcp.catalog`, at the bottom of the
layers; it is re-exported here. Adapters import from here; the names below are the core's public surface.
"""

from qovery_job_mcp.catalog import (
    CATALOG,
    OPERATION_NAMES,
    SPECS,
    OperationSpec,
    UnknownOperationError,
    refusals_for,
    select_operations,
)
from qovery_job_mcp.operations.confirming import (
    NEVER_ASKS,
    Confirmer,
    JobRef,
    Passthrough,
    Question,
    Reply,
    Verdict,
    asks_before,
    plan_hash,
    settled,
)
from qovery_job_mcp.operations.jobs import JobOperations, dry_run_result
from qovery_job_mcp.operations.locks import InProcessJobLocks, JobLocks
from qovery_job_mcp.operations.validation import (
    DEFAULT_COMMIT_LIMIT,
    GIT_SHA_RE,
    MAX_COMMIT_LIMIT,
    MAX_NESTING,
    VERSION_RE,
    check_arguments,
    check_edit_arguments,
    nesting_exceeds,
    validate_commit_ref,
    validate_job_id,
    validate_limit,
)
from qovery_job_mcp.operations.writes import job_version, missing_job_result

__all__ = [
    "CATALOG",
    "DEFAULT_COMMIT_LIMIT",
    "GIT_SHA_RE",
    "MAX_COMMIT_LIMIT",
    "MAX_NESTING",
    "NEVER_ASKS",
    "OPERATION_NAMES",
    "SPECS",
    "VERSION_RE",
    "Confirmer",
    "InProcessJobLocks",
    "JobLocks",
    "JobOperations",
    "JobRef",
    "OperationSpec",
    "Passthrough",
    "Question",
    "Reply",
    "UnknownOperationError",
    "Verdict",
    "asks_before",
    "check_arguments",
    "check_edit_arguments",
    "dry_run_result",
    "job_version",
    "missing_job_result",
    "nesting_exceeds",
    "plan_hash",
    "refusals_for",
    "select_operations",
    "settled",
    "validate_commit_ref",
    "validate_job_id",
    "validate_limit",
]
