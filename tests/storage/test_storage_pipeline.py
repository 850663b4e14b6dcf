"""``prefetch``: results in order, errors where they happened, bounded, and no leftover thread."""

from __future__ import annotations

import threading

import pytest

from socialcare.storage import _pipeline
from socialcare.storage._pipeline import prefetch


def helpers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "socialcare-prefetch"]


def test_results_come_in_order_from_a_helper_thread() -> None:
    workers: set[str] = set()

    def produce(n: int) -> int:
        workers.add(threading.current_thread().name)
        return n * n

    with prefetch(range(50), produce, depth=3) as results:
        assert list(results) == [n * n for n in range(50)]
    assert workers == {"socialcare-prefetch"}
    assert helpers() == []


def test_one_item_is_produced_inline() -> None:
    workers: list[str] = []

    def produce(n: int) -> int:
        workers.append(threading.current_thread().name)
        return n + 1

    with prefetch([1], produce) as results:
        assert list(results) == [2]
    with prefetch([], produce) as results:
        assert list(results) == []
    assert workers == [threading.current_thread().name]


def test_an_encoder_error_is_raised_at_its_item_and_the_helper_ends() -> None:
    def produce(n: int) -> int:
        if n == 7:
            raise RuntimeError("item 7 cannot be encoded")
        return n

    seen: list[int] = []
    with (
        pytest.raises(RuntimeError, match="item 7") as caught,
        prefetch(range(20), produce, depth=2) as results,
    ):
        seen.extend(results)
    assert seen == list(range(7))  # everything before the bad item, nothing after
    assert caught.value.__traceback__ is not None
    assert helpers() == []


def test_a_consumer_error_stops_the_helper_within_its_bound() -> None:
    produced: list[int] = []
    depth = 2

    def produce(n: int) -> int:
        produced.append(n)
        return n

    consumed = 0

    def write_three() -> None:
        nonlocal consumed
        with prefetch(range(10_000), produce, depth=depth) as results:
            for _ in results:
                consumed += 1
                if consumed == 3:
                    raise KeyError("the writer failed")

    with pytest.raises(KeyError):
        write_three()
    assert helpers() == []
    # At most `depth` results waited in the queue, plus the one the helper had in hand.
    assert consumed <= len(produced) <= consumed + depth + 1
    assert produced == list(range(len(produced)))


def test_a_slow_consumer_keeps_the_helper_waiting_without_loss(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_pipeline, "_POLL", 0.001)  # the helper re-checks for a stop often
    pause = threading.Event()
    got = []
    with prefetch(range(6), str, depth=1) as results:
        for item in results:
            pause.wait(0.01)  # the helper waits for queue space meanwhile
            got.append(item)
    assert got == ["0", "1", "2", "3", "4", "5"]
    assert helpers() == []


def test_a_stop_while_encoding_drops_that_result() -> None:
    stopped: list[threading.Event] = []
    known = threading.Event()

    def produce(n: int) -> int:
        if n == 1:
            known.wait()
            stopped[0].wait()  # still encoding item 1 when the consumer leaves
        return n

    with prefetch(range(10), produce, depth=2) as results:
        stopped.append(results.gi_frame.f_locals["self"]._stop)  # type: ignore[attr-defined]
        known.set()
        assert next(results) == 0
    assert helpers() == []


def test_leaving_early_discards_the_rest() -> None:
    with prefetch(range(1000), str, depth=4) as results:
        assert next(results) == "0"
        assert next(results) == "1"
    assert helpers() == []


def test_nested_pipelines_each_clean_up() -> None:
    with prefetch(range(5), str) as outer:
        for item in outer:
            with prefetch(range(3), lambda n, item=item: f"{item}.{n}") as inner:
                assert list(inner) == [f"{item}.0", f"{item}.1", f"{item}.2"]
    assert helpers() == []


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="depth"), prefetch(range(3), str, depth=0):
        pass  # pragma: no cover - never entered
