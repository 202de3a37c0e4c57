"""Start the zygote: ``<interpreter> -I -S -B <this file> PRELOAD ENTRY`` (``zygote_client``).

Isolated mode (-I) keeps this file's directory off ``sys.path``, and it stays off: the modules
here would otherwise be importable by the function under their short names (``network``,
``root``, ...). So this directory is loaded as the package ``lambent_inside``, whose modules
import each other relatively, and nothing of ``lambent`` (nor anything outside the standard
library) is imported into the zygote.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types

PACKAGE = "lambent_inside"


def load() -> types.ModuleType:
    """This directory as the package ``lambent_inside``; returns its ``zygote`` module."""
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(PACKAGE, os.path.join(here, "__init__.py"), submodule_search_locations=[here])
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    spec.loader.exec_module(package)
    return importlib.import_module(PACKAGE + ".zygote")


if __name__ == "__main__":
    load().main()
