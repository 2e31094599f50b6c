"""attnc.load: generated modules imported by path inside attnc's namespace, no sys.path edits."""
import sys
from pathlib import Path

import pytest

import attnc

ROOT = Path(__file__).resolve().parents[2]


def test_loads_a_cuda_module_by_folder_without_sys_path_or_shadowing():
    before = list(sys.path)
    m = attnc.load(ROOT / "generated" / "cuda" / "document")
    assert m.__name__ == "attnc.patterns.document"
    assert callable(m.attention)
    assert sys.path == before
    assert "document" not in sys.modules
    assert attnc.load(ROOT / "generated" / "cuda" / "document" / "document.py") is m


def test_loads_a_flex_module_by_file_and_it_plans():
    m = attnc.load(ROOT / "generated" / "flex" / "streaming_flex.py")
    assert m.__name__ == "attnc.patterns.streaming_flex"
    bm = m.block_mask(300, 300)
    assert bm.seq_lengths == (300, 300)


def test_refuses_another_file_under_a_loaded_name_and_missing_paths(tmp_path):
    attnc.load(ROOT / "generated" / "cuda" / "swin")
    other = tmp_path / "swin.py"
    other.write_text("x = 1\n")
    with pytest.raises(ValueError, match="already loaded"):
        attnc.load(other)
    assert attnc.load(other, name="swin_mine").x == 1
    with pytest.raises(FileNotFoundError, match="no generated module"):
        attnc.load(tmp_path / "nope")
    with pytest.raises(ValueError, match="not a valid module name"):
        attnc.load(other, name="not a name")


def test_a_module_that_fails_to_import_is_not_left_loaded(tmp_path):
    bad = tmp_path / "broken.py"
    bad.write_text("raise RuntimeError('boom')\n")
    with pytest.raises(RuntimeError, match="boom"):
        attnc.load(bad)
    assert "attnc.patterns.broken" not in sys.modules
