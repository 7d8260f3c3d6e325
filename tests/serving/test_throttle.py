"""The throttle on its own: growing delays, the lock, bounded audit notes and memory."""

from __future__ import annotations

import threading

import pytest

from serving.throttle import Policy, Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def make(**policy: float) -> tuple[Throttle, Clock]:
    clock = Clock()
    return Throttle(Policy(**policy), clock), clock  # type: ignore[arg-type]


def test_delays_grow_after_the_free_failures_then_the_lock_refuses_everything() -> None:
    throttle, clock = make(free=3, first_delay=2, max_delay=60, lock_after=10, lock_for=900)
    waits = []
    for _ in range(9):
        assert throttle.check("username 'a'").allowed
        waits.append(throttle.failure("username 'a'").wait)
        clock.now += waits[-1]  # the caller waits as told
    assert waits == [0, 0, 0, 2, 4, 8, 16, 32, 60]
    assert not throttle.failure("username 'a'").wait < 900  # the tenth: locked
    clock.now += 899
    refused = throttle.check("username 'a'")
    assert not refused.allowed and refused.locked and refused.wait == pytest.approx(1)
    assert throttle.check("username 'b'").allowed  # another key is not affected
    clock.now += 1
    assert throttle.check("username 'a'").allowed


def test_an_attempt_during_a_delay_is_refused_and_success_forgets_the_key() -> None:
    throttle, clock = make(free=1, first_delay=5)
    throttle.failure("k")
    throttle.failure("k")
    check = throttle.check("k")
    assert not check.allowed and not check.locked and check.wait == 5
    clock.now += 5
    assert throttle.check("k").allowed
    throttle.success("k")
    assert len(throttle) == 0
    assert throttle.failure("k").count == 1


def test_a_flood_writes_a_bounded_number_of_audit_notes() -> None:
    throttle, clock = make(free=20, lock_after=20, log_each=5, window=300, lock_for=300)
    rows = 0
    for _ in range(3):  # three windows of a flood: 300 refusals and failures in each
        for _ in range(300):
            check = throttle.check("address 10.0.0.9")
            rows += len(check.notes)
            if check.allowed:
                failure = throttle.failure("address 10.0.0.9")
                rows += failure.log_each + len(failure.notes)
            clock.now += 0.5
        clock.now += 300
    assert rows <= 3 * (5 + 2)
    assert throttle.failure("address 10.0.0.9").notes  # the refusals reported at last


def test_the_lock_note_counts_the_failures_and_says_until_when() -> None:
    throttle, _ = make(free=3, lock_after=4, log_each=2)
    logged = [throttle.failure("address 10.0.0.1") for _ in range(4)]
    assert [f.log_each for f in logged] == [True, True, False, False]
    assert logged[3].locked
    (note,) = logged[3].notes
    assert note.startswith("4 failed attempts for address 10.0.0.1 since 2023-11-14T22:13:20")
    assert "refused until" in note


def test_failures_below_the_lock_are_reported_when_the_window_rolls_over() -> None:
    throttle, clock = make(free=10, lock_after=10, log_each=2, window=60)
    for _ in range(5):
        throttle.failure("k")
    clock.now += 61
    (note,) = throttle.check("k").notes
    assert note.startswith("3 further failed attempts for k between")


def test_memory_is_bounded() -> None:
    throttle, _ = make(max_keys=100)
    for number in range(1000):
        throttle.failure(f"address 10.0.{number // 256}.{number % 256}")
    assert len(throttle) == 100


def test_counts_are_exact_under_threads() -> None:
    throttle, _ = make(free=10_000, lock_after=10_000, log_each=10_000)

    def fail() -> None:
        for _ in range(500):
            throttle.failure("k")

    threads = [threading.Thread(target=fail) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert throttle.failure("k").count == 4001
