"""latency.py - a TCP relay that adds a fixed delay each way.

usage: /usr/bin/python3 latency.py LISTEN-PORT TARGET-PORT DELAY-MS

Listens on 127.0.0.1:LISTEN-PORT; each connection is relayed to
127.0.0.1:TARGET-PORT, and every byte is held DELAY-MS milliseconds in
each direction before it goes on, in order: a round trip of 2 x DELAY-MS
whatever the load, as on a long path (this machine has no netem).  The
bytes are not changed and nothing limits the rate.  Prints "listening"
once it listens; runs until killed.
"""
import asyncio
import sys


async def pump(reader, writer, delay):
    """Copy reader to writer, each chunk delay seconds after it came."""
    loop = asyncio.get_running_loop()
    held = asyncio.Queue()

    async def send():
        while True:
            due, data = await held.get()
            if data is None:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    sender = asyncio.ensure_future(send())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            held.put_nowait((loop.time() + delay, data))
    finally:
        held.put_nowait((0, None))
        await sender


async def serve(port, target, delay):
    async def relay(creader, cwriter):
        try:
            sreader, swriter = await asyncio.open_connection("127.0.0.1",
                                                             target)
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(pump(creader, swriter, delay),
                             pump(sreader, cwriter, delay),
                             return_exceptions=True)

    server = await asyncio.start_server(relay, "127.0.0.1", port)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    asyncio.run(serve(int(sys.argv[1]), int(sys.argv[2]),
                      float(sys.argv[3]) / 1000))


if __name__ == "__main__":
    main()
