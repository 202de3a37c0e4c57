"""The stream between an environment and its client, and the inbox's bound, on a fake clock:
order, the 1 MB in flight, the 200 MB limit, the 2 MB/s pace past 6 MB, an abandoned stream."""

from __future__ import annotations

import asyncio

from lambent.clock import FakeClock
from lambent.invoker.response_stream import ResponseStream
from lambent.invoker.runtime_channel import Inbox
from lambent.model.response_stream import IN_FLIGHT_BYTES, MB, STREAM_LIMIT_BYTES


async def _read_all(stream: ResponseStream) -> list[bytes]:
    return [chunk async for chunk in stream.chunks()]


def test_chunks_arrive_in_order_and_the_stream_ends() -> None:
    async def scenario() -> list[bytes]:
        stream = ResponseStream(FakeClock())
        reader = asyncio.ensure_future(_read_all(stream))
        stream.open("text/plain")
        for part in (b"a", b"b", b"c"):
            assert await stream.write(part)
        stream.end()
        return await reader

    assert asyncio.run(scenario()) == [b"a", b"b", b"c"]


def test_a_writer_waits_while_a_megabyte_is_unread() -> None:
    async def scenario() -> tuple[bool, bool]:
        stream = ResponseStream(FakeClock())
        await stream.write(b"x" * IN_FLIGHT_BYTES)
        blocked = asyncio.ensure_future(stream.write(b"y"))
        await asyncio.sleep(0)
        waited = not blocked.done()
        chunks = stream.chunks()
        await chunks.__anext__()  # the client takes the megabyte: the writer goes on
        await asyncio.wait_for(blocked, 1)
        return waited, blocked.result()

    assert asyncio.run(scenario()) == (True, True)


def test_past_200_mb_nothing_more_is_taken() -> None:
    async def scenario() -> tuple[bool, int]:
        stream = ResponseStream(FakeClock())
        stream.total = STREAM_LIMIT_BYTES - 1
        return await stream.write(b"xx"), stream.total

    assert asyncio.run(scenario()) == (False, STREAM_LIMIT_BYTES - 1)


def test_past_6_mb_the_writer_keeps_to_2_mb_a_second() -> None:
    async def scenario() -> tuple[bool, bool]:
        clock = FakeClock()
        stream = ResponseStream(clock)
        stream.abandon()  # nobody reads: only the pace holds the writer
        for _ in range(6):
            await stream.write(b"x" * MB)
        capped = asyncio.ensure_future(stream.write(b"x" * 2 * MB))  # 2 MB past the burst: 1 s
        await asyncio.sleep(0)
        held = not capped.done()
        await clock.advance(1.0)
        await asyncio.wait_for(capped, 1)
        return held, capped.result()

    assert asyncio.run(scenario()) == (True, True)


def test_an_abandoned_stream_drops_chunks_and_frees_its_writer() -> None:
    async def scenario() -> tuple[bool, list[bytes]]:
        stream = ResponseStream(FakeClock())
        await stream.write(b"x" * IN_FLIGHT_BYTES)
        blocked = asyncio.ensure_future(stream.write(b"y"))
        await asyncio.sleep(0)
        stream.abandon()
        await asyncio.wait_for(blocked, 1)
        stream.end()
        return blocked.result(), await _read_all(stream)

    assert asyncio.run(scenario()) == (True, [])


def test_the_inbox_pauses_its_source_past_a_megabyte_of_chunks_and_resumes_once_taken() -> None:
    events: list[str] = []

    async def scenario() -> None:
        inbox = Inbox(lambda: events.append("pause"), lambda: events.append("resume"))
        inbox.put(({"t": "chunk"}, b"x" * IN_FLIGHT_BYTES))
        assert events == []
        inbox.put(({"t": "chunk"}, b"y"))
        assert events == ["pause"]
        room = asyncio.ensure_future(inbox.room())
        await asyncio.sleep(0)
        assert not room.done()
        await inbox.get()
        await asyncio.wait_for(room, 1)
        assert events == ["pause", "resume"]

    asyncio.run(scenario())
