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
