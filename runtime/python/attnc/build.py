"""Compiles and loads a pattern's PyTorch extension.

A pattern's folder holds `<name>_torch.cpp` and `<name>.cu`, which attnc generated; they
include the runtime headers as "attnc/....h". The extension is built with
torch.utils.cpp_extension.load, once per process; torch caches the build on disk, so a later
process reloads it without compiling.
"""
import os
from pathlib import Path

_HEADER = Path("attnc") / "pattern.h"
_ENV = "ATTNC_CUDA_INCLUDE"
_loaded = {}


def cuda_include_dir():
    """The folder that holds the runtime headers (`attnc/pattern.h` and the kernels it includes).

    The environment variable ATTNC_CUDA_INCLUDE wins when set. Otherwise the headers are looked
    for inside the package (`attnc/include`) and then in the source tree, where this package
    lives in runtime/python and the headers in runtime/cuda.
    """
    env = os.environ.get(_ENV)
    if env:
        return str(Path(env).resolve())
    here = Path(__file__).resolve()
    for candidate in (here.parent / "include", here.parents[2] / "cuda"):
        if (candidate / _HEADER).is_file():
            return str(candidate)
    raise RuntimeError(
        f"attnc: cannot find the runtime CUDA headers ({_HEADER.as_posix()}). Set {_ENV} to the "
        "folder that contains attnc/pattern.h (runtime/cuda in the attnc source tree), e.g. "
        f"`export {_ENV}=/path/to/attnc/runtime/cuda`."
    )


def arch_flag():
    """nvcc's -gencode flag for the current device: sm_90a on compute 9.0 (Hopper's wgmma), else the device's own."""
    import torch

    major, minor = torch.cuda.get_device_capability()
    if (major, minor) == (9, 0):
        return "-gencode=arch=compute_90a,code=sm_90a"
    return f"-gencode=arch=compute_{major}{minor},code=sm_{major}{minor}"


def _verbose():
    return os.environ.get("ATTNC_VERBOSE", "") not in ("", "0")


def load_extension(name, folder):
    """The compiled extension module of pattern `name` whose generated files are in `folder`.

    Built on the first call in a process and reused after; it exports `forward` and `backward`.
    """
    folder = str(Path(folder).resolve())
    key = (name, folder)
    if key not in _loaded:
        from torch.utils.cpp_extension import load

        _loaded[key] = load(
            name=f"attnc_{name}",
            sources=[os.path.join(folder, f"{name}_torch.cpp"), os.path.join(folder, f"{name}.cu")],
            extra_include_paths=[folder, cuda_include_dir()],
            extra_cuda_cflags=["-O3", "-std=c++17", arch_flag(), "--use_fast_math"],
            extra_cflags=["-O3", "-std=c++17"],
            verbose=_verbose(),
        )
    return _loaded[key]
