"""Loading generated pattern modules by path, inside attnc's namespace.

`attnc.load("generated/cuda/streaming")` imports the CUDA module `streaming.py` of that folder
(or any generated `.py` file named directly, such as `generated/flex/document_flex.py`) as
`attnc.patterns.streaming`: nothing is added to `sys.path`, and a pattern named like one of
the user's own modules (`document`, `swin`) shadows nothing.
"""
import importlib.util
import os
import sys

PACKAGE = "attnc.patterns"


def load(path, name=None):
    """Imports the generated module at `path` (a `.py` file, or a CUDA output folder holding
    `<folder name>.py`) as `attnc.patterns.<name>` (default: the file's stem) and returns it.
    Loading the same file again returns the same module; another file under a name already
    loaded is refused (pass `name=`)."""
    file = os.path.abspath(os.fspath(path))
    if os.path.isdir(file):
        file = os.path.join(file, os.path.basename(file) + ".py")
    if not file.endswith(".py") or not os.path.isfile(file):
        raise FileNotFoundError(f"attnc.load: no generated module at {os.fspath(path)!r} (give a .py file, or a folder holding <folder name>.py)")
    stem = name if name is not None else os.path.splitext(os.path.basename(file))[0]
    if not isinstance(stem, str) or not stem.isidentifier():
        raise ValueError(f"attnc.load: {stem!r} is not a valid module name (pass name=)")
    full = f"{PACKAGE}.{stem}"
    loaded = sys.modules.get(full)
    if loaded is not None:
        if os.path.abspath(getattr(loaded, "__file__", "") or "") == file:
            return loaded
        raise ValueError(f"attnc.load: {full} is already loaded from {loaded.__file__}; pass name= to load {file} too")
    spec = importlib.util.spec_from_file_location(full, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[full] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[full]
        raise
    return module
