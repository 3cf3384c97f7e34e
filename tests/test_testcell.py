"""Does the per-cell time limit cover the grader's own part of a test cell?"""
import time

import pytest

from autograder.sandbox.testcell import GraderTimeout, Watchdog


def test_the_watchdog_stops_python_code_at_the_deadline():
    """Is a loop in the grader stopped by GraderTimeout shortly after the deadline?"""
    start = time.monotonic()
    watchdog = Watchdog(start + 0.3)
    with pytest.raises(GraderTimeout):
        try:
            watchdog.start()
            while True:
                pass
        finally:
            watchdog.disarm()
    assert 0.3 <= time.monotonic() - start < 2.0


def test_test_code_cannot_swallow_the_timeout():
    """Does an `except Exception` in the test code let the timeout through?"""
    watchdog = Watchdog(time.monotonic() + 0.2)
    caught = []
    with pytest.raises(GraderTimeout):
        try:
            watchdog.start()
            while True:
                try:
                    sum(range(1000))
                except Exception as exc:  # noqa: BLE001 - what a test might write
                    caught.append(exc)
        finally:
            watchdog.disarm()
    assert not caught


def test_a_disarmed_watchdog_never_fires():
    """Once disarmed before its deadline, is no exception raised in the thread afterwards?"""
    deadline = time.monotonic() + 1.0  # far enough for 20 starts and disarms on a loaded machine
    for _ in range(20):
        watchdog = Watchdog(deadline)
        watchdog.start()
        watchdog.disarm()
    assert time.monotonic() < deadline, "disarmed after the deadline: the test proves nothing"
    time.sleep(deadline + 0.3 - time.monotonic())
    sum(range(100000))  # a pending exception would be raised here


def test_an_exception_that_fired_is_raised_once_and_never_again():
    """After the timeout was raised and disarm() ran, is the thread free of it?"""
    watchdog = Watchdog(time.monotonic())
    with pytest.raises(GraderTimeout):
        try:
            watchdog.start()
            while True:
                pass
        finally:
            watchdog.disarm()
    time.sleep(0.1)
    sum(range(100000))
