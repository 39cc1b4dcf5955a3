"""One websocket, from Slack's end: the upgrade, the read loop, sends, pings and closes, silent or not."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable

from aiohttp import WSMsgType, web

from bot.simulator.params import JSONDict
from bot.simulator.socket_mode.records import Connection

__all__ = ["accept", "close", "close_later", "converse", "ping", "send"]


async def accept(request: web.Request) -> web.WebSocketResponse:
    """Upgrade the handshake in `request` to a websocket."""
    # Pings, pongs and closes by hand: a silent socket answers none of them.
    ws = web.WebSocketResponse(autoping=False, autoclose=False, timeout=2.0)
    await ws.prepare(request)
    return ws


async def converse(
    conn: Connection, ws: web.WebSocketResponse, request: web.Request, *, hear: Callable[[Connection, str], None]
) -> None:
    """Read `ws` until either side closes it, answering the app's pings; each text frame goes to `hear`."""
    while True:
        msg = await ws.receive()
        if msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
            break
        if conn.silent:
            conn.lost += 1
            if msg.type is WSMsgType.CLOSE and request.transport is not None:
                request.transport.close()  # no closing handshake from a dead socket
                break
            continue
        if msg.type is WSMsgType.CLOSE:
            await ws.close()
            break
        if msg.type is WSMsgType.PING:
            conn.pings += 1
            await ws.pong(msg.data)
        elif msg.type is WSMsgType.PONG:
            conn.pongs += 1
        elif msg.type is WSMsgType.TEXT:
            hear(conn, msg.data)


async def send(conn: Connection, message: JSONDict) -> bool:
    """Send on `conn`; False when nothing went out (closed, or silent)."""
    if conn.silent or not conn.is_open or conn.ws is None:
        return False
    async with conn.lock:
        try:
            await conn.ws.send_str(json.dumps(message))
        except ConnectionError:  # the app closed it meanwhile
            return False
    conn.sent.append(message)
    return True


async def close(conn: Connection, *, code: int) -> None:
    if not conn.is_open or conn.ws is None:
        return
    conn.closed, conn.closed_by = time.time(), "server"
    with contextlib.suppress(Exception):  # already broken on the app's side: closed all the same
        await conn.ws.close(code=code)


async def close_later(conn: Connection, delay: float) -> None:
    await asyncio.sleep(delay)
    await close(conn, code=1001)


async def ping(conn: Connection, interval: float) -> None:
    """Ping `conn` every `interval` seconds while it is open (not while it is silent)."""
    while conn.is_open:
        await asyncio.sleep(interval)
        if conn.silent or not conn.is_open or conn.ws is None:
            continue
        async with conn.lock:
            with contextlib.suppress(ConnectionError):
                await conn.ws.ping(b"simulator")
