"""The simulator in the wheel is the demo, not a test double: no test-only hook ships.

The tests' instrumentation (recording, scripted faults, held answers, quiet resets) lives in
tests/support/simulator.py and tests/support/loopback.py; the wheel is built from
src/qovery_job_mcp alone, so reading that tree is reading what ships.
"""

from __future__ import annotations

import pytest

from qovery_job_mcp.simulation.api import SimulatedQovery
from tests.support.constants import ROOT

PACKAGE = ROOT / "src" / "qovery_job_mcp"
TEST_ONLY = (
    "fail_next",
    "hold_next",
    "requests_to",
    "RecordedRequest",
    "quiet_simulated_resets",
    "class Fault",
)


def test_the_wheel_is_built_from_the_package_folder_alone() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '[tool.hatch.build.targets.wheel]\npackages = ["src/qovery_job_mcp"]\n' in pyproject


@pytest.mark.parametrize("name", TEST_ONLY)
def test_no_test_only_hook_is_in_the_package(name: str) -> None:
    found = [str(path.relative_to(ROOT)) for path in PACKAGE.rglob("*.py") if name in path.read_text()]
    assert found == [], f"{name} is test instrumentation; it belongs in tests/support, not in {found}"


def test_the_demo_simulator_has_no_test_controls() -> None:
    sim = SimulatedQovery()
    for name in ("fail_next", "hold_next", "requests", "requests_to", "faults", "holds"):
        assert not hasattr(sim, name), name
