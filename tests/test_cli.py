"""The ``journeykit report list`` / ``diff`` commands (journeykit.run.cli) on run folders
made like the runner makes them."""

from __future__ import annotations

import argparse

from journeykit.run.cli import report_command

from .test_report import make_run


def test_report_list_and_diff(tmp_path, capsys):
    out = tmp_path / "reports"
    make_run(out / "20261101T000000Z", "20261101T000000Z", nps=10.0)
    make_run(out / "20261122T000000Z", "20261122T000000Z", nps=30.0)
    (out / "20261123T000000Z-failed").mkdir()
    (out / "latest").symlink_to("20261122T000000Z")

    assert report_command(argparse.Namespace(report_command="list", out=str(out))) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split()[:4] == ["run", "status", "started", "duration"]
    assert "nps" in listing[0]
    assert listing[1].startswith("20261101T000000Z") and "10.0 points" in listing[1]
    assert "success (latest)" in listing[2] and "30.0 points" in listing[2]
    assert listing[3].startswith("20261123T000000Z-failed") and "failed" in listing[3]

    args = argparse.Namespace(report_command="diff", out=str(out), run_a="20261101T000000Z", run_b="latest")
    assert report_command(args) == 0
    diff = capsys.readouterr().out
    nps_line = next(line for line in diff.splitlines() if line.startswith("Net Promoter Score"))
    assert "10.0 points" in nps_line and "30.0 points" in nps_line and "+20.0 points" in nps_line

    args.run_b = "20990101T000000Z"
    assert report_command(args) == 2
    assert "not found" in capsys.readouterr().err
