import pytest

import fastk
from fastk.errors import ConfigError


@pytest.fixture
def listing(tmp_path, face):
    import cv2

    cv2.imwrite(str(tmp_path / "a.png"), face[:, :, ::-1])
    cv2.imwrite(str(tmp_path / "b.png"), face[::-1, :, ::-1])
    path = tmp_path / "list.txt"
    path.write_text("# path label subject\na.png real s1\nb.png spoof s1\n")
    return path


def test_reads_paths_labels_and_subjects(system, listing):
    samples = fastk.create("dataset", f"template-list:{listing}").samples()
    assert [(s.path.name, s.label, s.subject) for s in samples] == [("a.png", 0, "s1"), ("b.png", 1, "s1")]
    assert all(s.path.is_file() for s in samples)


def test_a_bad_line_names_the_file_and_line(system, listing):
    listing.write_text("a.png maybe\n")
    with pytest.raises(ConfigError, match=r"list.txt:1: expected"):
        fastk.create("dataset", f"template-list:{listing}").samples()


def test_missing_file_is_a_user_error(system, tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        fastk.create("dataset", f"template-list:{tmp_path / 'nope.txt'}")
