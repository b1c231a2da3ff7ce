"""Drives `engram mcp` (or `engram-pg mcp`) with the reference MCP client (PyPI `mcp`): lists the tools and calls each.

Usage: mcp_client.py PROGRAM LOCATION FOLDER DOCUMENT OUTSIDE
  PROGRAM is engram or engram-pg; LOCATION is the flag that names the index, as one argument (--index=PATH,
  --store=URL); FOLDER is indexed through the `index` tool; DOCUMENT is a file in it; OUTSIDE is a file that is
  not indexed.
Prints one JSON object with what each call returned; the Swift test checks it. Gives up after 300 s.
"""
import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def field(obj, snake, camel):
    """The client's models name fields in snake_case since mcp 2, in camelCase before."""
    return getattr(obj, snake) if hasattr(obj, snake) else getattr(obj, camel)


def text_of(result):
    return "".join(getattr(c, "text", "") for c in result.content)


async def main(program, location, folder, document, outside):
    params = StdioServerParameters(command=program, args=["mcp", location, "--profile", "mcp-test"], env=dict(os.environ))
    out = {}
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            out["server"] = field(init, "server_info", "serverInfo").name
            out["tools"] = sorted(t.name for t in (await session.list_tools()).tools)

            def record(name, result):
                error = bool(field(result, "is_error", "isError"))
                out[name] = {"error": error, "text": text_of(result)}
                if not error:
                    out[name]["json"] = json.loads(text_of(result))

            record("status_before", await session.call_tool("status", {}))
            record("index", await session.call_tool("index", {"paths": [folder]}))
            record("status_after", await session.call_tool("status", {}))
            record("search", await session.call_tool("search", {"query": "how do tides work", "n": 3}))
            record("search_filtered", await session.call_tool("search", {"query": "tides", "type": ["py"], "explain": True}))
            record("get", await session.call_tool("get", {"path": document, "lines": "2-3", "context": 1}))
            record("get_outside", await session.call_tool("get", {"path": outside}))
            record("search_empty", await session.call_tool("search", {"query": "  "}))
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(main(*sys.argv[1:6]), timeout=300))
