"""Argument types shared by several tools, described for the model that fills them in."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

JobId = Annotated[
    str,
    Field(
        description="The job's UUID, e.g. 7c9e2f14-3b8a-4d61-a0f5-9e2d4c6b8a17 (in the Qovery console URL).",
        json_schema_extra={"format": "uuid"},
    ),
]

WaitSeconds = Annotated[
    int,
    Field(
        description="Seconds to follow the job's status until it lands or fails, 0 to 900 (0: return once Qovery "
        "accepted). Running out of time is not an error: the result says still-running.",
        ge=0,
        le=900,
    ),
]
