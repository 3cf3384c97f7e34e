"""Does every stage read a submitted file the same way, refusing what is not a plain notebook file?"""
import os

import pytest

from autograder.readnotebook import NotebookFileError, parse_notebook, read_bytes, read_notebook, unsafe_entries
from fixtures.coursefolder import SUBMISSIONS

NOTEBOOK = (SUBMISSIONS / "full_marks.ipynb").read_bytes()


def test_a_byte_order_mark_gives_the_same_cells(tmp_path):
    """Is a notebook with a UTF-8 BOM read as the same cells as without it?"""
    (tmp_path / "plain.ipynb").write_bytes(NOTEBOOK)
    (tmp_path / "bom.ipynb").write_bytes(b"\xef\xbb\xbf" + NOTEBOOK)
    assert read_notebook(tmp_path / "bom.ipynb").cells == read_notebook(tmp_path / "plain.ipynb").cells


def test_a_symbolic_link_is_refused_not_followed(tmp_path):
    """Is a link to a notebook refused as unsafe, whatever it points to?"""
    (tmp_path / "real.ipynb").write_bytes(NOTEBOOK)
    (tmp_path / "link.ipynb").symlink_to(tmp_path / "real.ipynb")
    with pytest.raises(NotebookFileError) as info:
        read_bytes(tmp_path / "link.ipynb")
    assert info.value.code == "unsafe-file" and "symbolic link" in str(info.value)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    """Is a FIFO refused at once (opening it for reading would wait for a writer forever)?"""
    os.mkfifo(tmp_path / "pipe.ipynb")
    with pytest.raises(NotebookFileError) as info:
        read_bytes(tmp_path / "pipe.ipynb")
    assert info.value.code == "unsafe-file" and "FIFO" in str(info.value)


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    """Is a file over the limit refused, naming its size?"""
    (tmp_path / "big.ipynb").write_bytes(NOTEBOOK)
    with pytest.raises(NotebookFileError) as info:
        read_bytes(tmp_path / "big.ipynb", max_bytes=1000)
    assert info.value.code == "oversized-notebook"


@pytest.mark.parametrize("data,code", [(b"", "empty"), (b"{not json", "corrupt-json"), (b"[1, 2]", "invalid-notebook"),
                                       (b"\xff\xfe{}", "invalid-notebook")])
def test_what_is_not_a_notebook_says_why(data, code):
    """Does each kind of bad content give its own problem, naming where it was read?"""
    with pytest.raises(NotebookFileError) as info:
        parse_notebook(data, where="aa0001: lab.ipynb")
    assert info.value.code == code and "aa0001: lab.ipynb" in str(info.value)


def test_unsafe_entries_lists_links_and_fifos_in_a_folder(tmp_path):
    """Are links (to files and folders) and FIFOs in a submission folder listed, regular files not?"""
    (tmp_path / "lab.ipynb").write_bytes(NOTEBOOK)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("1,2\n")
    (tmp_path / "data" / "secret.txt").symlink_to("/etc/hostname")
    (tmp_path / "up").symlink_to(tmp_path.parent, target_is_directory=True)
    os.mkfifo(tmp_path / "fifo")
    assert [p for p, _ in unsafe_entries(tmp_path)] == ["data/secret.txt", "fifo", "up"]
