"""A plain SMTP sink for bench/send: accepts any envelope, reads DATA to the final dot and
throws it away; no SIZE limit, no TLS, no AUTH. Loopback only.

usage: smtp_sink.py PORT
"""
import asyncio
import sys


async def session(reader, writer):
    try:
        await converse(reader, writer)
    except ConnectionError:
        pass  # a client that hangs up without QUIT (swaks does after 221)
    writer.close()


async def converse(reader, writer):
    writer.write(b"220 sink.example.test ESMTP bench sink\r\n")
    while True:
        line = await reader.readline()
        if not line:
            break
        verb = line[:4].upper()
        if verb == b"EHLO":
            writer.write(b"250-sink.example.test\r\n250 8BITMIME\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go ahead\r\n")
            await writer.drain()
            while (await reader.readline()) not in (b".\r\n", b""):
                pass
            writer.write(b"250 2.0.0 discarded\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"250 ok\r\n")
        await writer.drain()


async def main():
    server = await asyncio.start_server(session, "127.0.0.1", int(sys.argv[1]), limit=1 << 20)
    async with server:
        await server.serve_forever()


asyncio.run(main())
