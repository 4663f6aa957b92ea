import json
import os
import stat

import pytest

from resnet_lemmas.reports import write_json_atomic, write_text_atomic


def test_atomic_write_replaces_the_file_with_ordinary_permissions(tmp_path):
    target = tmp_path / "sub" / "report.json"
    write_json_atomic(target, {"a": 1})
    assert json.loads(target.read_text()) == {"a": 1}
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]  # no temporary left


def test_a_failed_write_keeps_the_previous_report(tmp_path):
    target = tmp_path / "report.json"
    write_text_atomic(target, "old")

    class Boom(str):
        pass

    with pytest.raises(TypeError):
        write_text_atomic(target, 12345)  # not text: the write fails midway
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
