"""The command, through fastk.testing.cli(): the fastk click group with this package's commands."""

from click.testing import CliRunner

import fastk.testing


def _listing(tmp_path, face):
    import cv2

    for name in ("a.png", "b.png", "c.png"):
        cv2.imwrite(str(tmp_path / name), face[:, :, ::-1])
    path = tmp_path / "list.txt"
    path.write_text("a.png real s1\nb.png spoof s1\nc.png spoof s2\n")
    return path


def test_counts_per_label_and_attack_type(system, tmp_path, face):
    listing = _listing(tmp_path, face)
    result = CliRunner().invoke(fastk.testing.cli(system), ["template-count", f"template-list:{listing}"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["real\tnone\t1", "spoof\tunknown\t2"]


def test_a_user_error_is_one_line_and_status_2(system, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing listed\n")
    result = CliRunner().invoke(fastk.testing.cli(system), ["template-count", f"template-list:{empty}"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"fastk: error: dataset 'template-list:{empty}' has no samples"]
