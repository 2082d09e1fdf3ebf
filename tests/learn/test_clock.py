"""The CLI's budget clock starts when the process did, not when training begins."""

from __future__ import annotations

import subprocess
import sys
import time

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
