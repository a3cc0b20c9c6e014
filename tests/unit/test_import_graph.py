"""No import cycle among the package's modules, checked on the import graph (grimp), not by eye.

Imports under `TYPE_CHECKING` and imports inside functions count: a cycle hidden by either still couples the two
modules, and is what made `config` depend on the whole core before (issue 18).
"""

from __future__ import annotations

import grimp

PACKAGE = "qovery_job_mcp"


def import_cycles() -> list[tuple[str, ...]]:
    """For each direct import a -> b that b leads back from, the shortest way back: b -> ... -> a."""
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    cycles: list[tuple[str, ...]] = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported == importer or not imported.startswith(PACKAGE):
                continue
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycles.append((importer, *back))
    return cycles


def test_the_package_has_no_import_cycle() -> None:
    assert import_cycles() == []


def test_reading_settings_loads_neither_the_core_nor_pydantic() -> None:
    """`load_settings` runs before anything else at start: it checks tool names against the tiny catalog only."""
    graph = grimp.build_graph(PACKAGE, include_external_packages=True, cache_dir=None)
    config = {"qovery_job_mcp.config", *graph.find_descendants("qovery_job_mcp.config")}
    reached = set().union(*(graph.find_upstream_modules(module) for module in config)) - config
    ours = {module for module in reached if module.startswith(PACKAGE)}
    assert ours <= {"qovery_job_mcp", "qovery_job_mcp.catalog"}, sorted(ours)
    assert not reached & {"pydantic", "mcp", "httpx", "starlette"}
