"""Ctrl-C during a search is a request to stop, read between trials; a second one raises."""

from __future__ import annotations

import os
import signal

import pytest

from lepton.learn.interrupt import ctrl_c_requests_stop


def test_the_first_ctrl_c_sets_the_flag_the_second_raises_and_the_handler_is_restored() -> None:
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), ctrl_c_requests_stop() as stop:
        assert not stop.requested
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.requested  # the first one only asked
        os.kill(os.getpid(), signal.SIGINT)  # the second one raises here
        pytest.fail("a second Ctrl-C must raise KeyboardInterrupt")
    assert signal.getsignal(signal.SIGINT) is before
