"""No import circle among the application's modules (imports at run time; `if TYPE_CHECKING:` blocks excluded):
each arrow goes one way, so any module can be read, tested and moved knowing only what is below it."""

from __future__ import annotations

import grimp


def test_no_module_imports_one_that_imports_it_back():
    graph = grimp.build_graph("debates", "live", "hub", exclude_type_checking_imports=True)
    circles = sorted(
        {
            tuple(sorted((importer, imported)))
            for importer in graph.modules
            for imported in graph.find_modules_directly_imported_by(importer)
            if graph.chain_exists(importer=imported, imported=importer)
        }
    )
    assert circles == []
