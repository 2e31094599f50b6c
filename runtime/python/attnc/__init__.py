"""attnc's PyTorch runtime: the shared code behind every generated pattern module.

A generated `<name>.py` calls `define_attention` with its pattern's runtime values and input
arrays and exposes the returned `attention`. The CUDA extension next to it is compiled on
the first call (see `attnc.build`). `attnc.load(path)` imports a generated module by path as
`attnc.patterns.<name>`, without `sys.path` edits.
"""
from .build import cuda_include_dir, load_extension
from .loader import load
from .torch_ops import define_attention

__all__ = ["cuda_include_dir", "define_attention", "load", "load_extension"]
