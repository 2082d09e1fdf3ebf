"""The CLI's budget clock starts when the process did, not when training begins."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from lepton.cli.clock import IMPORTED_AT, process_started_at


def test_this_process_started_before_the_clock_module_was_imported() -> None:
    started = process_started_at()
    assert started <= IMPORTED_AT <= time.time()


def test_a_child_process_reports_its_own_start_not_the_parents() -> None:
    before = time.time()
    code = "from lepton.cli.clock import process_started_at; print(process_started_at())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    child_started = float(out.stdout)
    assert before - 0.05 <= child_started <= time.time()  # /proc ticks are 10 ms


def test_a_command_run_inside_another_program_starts_its_clock_now() -> None:
    from lepton.cli.clock import command_started_at

    before = time.time()
    assert before <= command_started_at() <= time.time()  # pytest is not the lepton command


def test_the_lepton_command_starts_its_clock_at_the_process_start(tmp_path: Path) -> None:
    code = (
        "import time; time.sleep(0.3)\n"
        "from lepton.cli.clock import command_started_at\n"
        "print(time.time() - command_started_at())\n"
    )
    script = tmp_path / "lepton"  # what the console script's __main__ is called
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert float(out.stdout) >= 0.3


def test_an_in_process_runner_naming_itself_lepton_does_not_move_the_clock() -> None:
    from lepton.cli.clock import command_started_at

    saved, sys.argv = sys.argv, ["lepton", "train"]
    try:
        before = time.time()
        assert before <= command_started_at() <= time.time()
    finally:
        sys.argv = saved
