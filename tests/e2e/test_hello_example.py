"""The hello example runs against a server with the one command the README shows."""

import asyncio
import os
import sys
from pathlib import Path

from e2e_harness import Deployment

ROOT = Path(__file__).resolve().parents[2]


async def test_hello_example(deployment: Deployment) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "examples" / "hello" / "hello.py"),
        "Odin",
        env={**os.environ, "ODIN_ADDRESS": deployment.url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    assert out.decode().strip() == "HELLO, ODIN!"
