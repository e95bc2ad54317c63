"""Dispatch latency benchmark: task enqueued -> handed to a waiting poller.

Runs matching as its own process (``python -m odin_matching``: uvicorn, uvloop, httptools) on
real Redis, a stub history as another process (answers "record task started" at once), and
N long-polling workers in this process (aiohttp). Each task is stamped when it is added to
Redis (``XADD`` through the task store, as the transfer queue's call ends up doing) and again
when a worker's poll returns it; both stamps are taken in this process. Prints p50/p95/p99.

Two modes: ``--rate 0`` (default) adds one task at a time and waits for it to arrive (an
idle system with N parked pollers); ``--rate R`` adds R tasks per second regardless.

    .venv/bin/python services/matching/bench_dispatch.py --pollers 64 --tasks 2000
    .venv/bin/python services/matching/bench_dispatch.py --pollers 64 --tasks 5000 --rate 1000

This is a benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

import aiohttp
import uvloop
from aiohttp import web
from redis.asyncio import Redis

from odin_common.api.internal import DispatchTask
from odin_common.jsonutil import dumps, loads
from odin_common.redis_keys import RedisKeys
from odin_common.testing import free_port
from odin_matching.store.redis_store import RedisTaskStore


def serve_stub_history(port: int) -> None:
    """A history that records every task as started immediately."""

    async def record(request: web.Request) -> web.Response:
        body = loads(await request.read())
        kind = request.match_info["kind"]
        task = {
            "kind": kind,
            "task_token": "bench",
            "namespace": request.match_info["ns"],
            "workflow_id": request.match_info["wid"],
            "run_id": body["run_id"],
            "task_queue": body["task_queue"],
            "attempt": body["attempt"],
            "scheduled_event_id": body["scheduled_event_id"],
            "started_event_id": body["scheduled_event_id"] + 1,
            "workflow_type": "Bench",
            "history": [],
        }
        return web.Response(body=dumps(task), content_type="application/json")

    async def shards(_: web.Request) -> web.Response:
        return web.Response(
            body=dumps({"shard_count": 1, "owners": [None]}), content_type="application/json"
        )

    app = web.Application()
    app.router.add_post(
        "/internal/namespaces/{ns}/workflows/{wid}/record-{kind}-task-started", record
    )
    app.router.add_get("/internal/cluster/shards", shards)
    web.run_app(
        app, host="127.0.0.1", port=port, print=None, access_log=None, loop=uvloop.new_event_loop()
    )


async def wait_until_up(session: aiohttp.ClientSession, url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            async with session.get(url) as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up")
        await asyncio.sleep(0.1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


def start_processes(
    args: argparse.Namespace, prefix: str, history_port: int, matching_port: int
) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "HUGO_ORCHESTRATOR_REDIS_URL": args.redis_url,
        "HUGO_ORCHESTRATOR_REDIS_KEY_PREFIX": prefix,
        "HUGO_ORCHESTRATOR_PORT": str(matching_port),
        "HUGO_ORCHESTRATOR_HOST": "127.0.0.1",
        "HUGO_ORCHESTRATOR_HISTORY_URL": f"http://127.0.0.1:{history_port}",
        "HUGO_ORCHESTRATOR_LOG_LEVEL": "warning",
    }
    # [stub history, matching]
    return [
        subprocess.Popen([sys.executable, __file__, "--serve-history", str(history_port)], env=env),
        subprocess.Popen([sys.executable, "-m", "odin_matching"], env=env),
    ]


def stop_processes(processes: list[subprocess.Popen[bytes]]) -> None:
    for proc in processes:
        proc.send_signal(signal.SIGINT)
    for proc in processes:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def run(
    args: argparse.Namespace,
    prefix: str,
    history_port: int,
    matching_port: int,
    processes: dict[str, int],
) -> None:
    base = f"http://127.0.0.1:{matching_port}"
    store = RedisTaskStore(args.redis_url, RedisKeys(prefix))
    connector = aiohttp.TCPConnector(limit=0)
    session = aiohttp.ClientSession(connector=connector)
    sent: dict[str, float] = {}
    latencies: list[float] = []
    arrived: dict[str, asyncio.Event] = {}
    stop = asyncio.Event()
    try:
        await wait_until_up(session, f"{base}/readyz")
        await wait_until_up(session, f"http://127.0.0.1:{history_port}/internal/cluster/shards")

        async def poller(n: int) -> None:
            url = f"{base}/api/v1/namespaces/default/task-queues/bench/poll"
            body = dumps({"kind": "activity", "identity": f"bench-{n}", "wait": "30s"})
            headers = {"content-type": "application/json"}
            while not stop.is_set():
                async with session.post(url, data=body, headers=headers) as resp:
                    data = await resp.read()
                    received = time.perf_counter()
                if resp.status == 200:
                    workflow_id = loads(data)["workflow_id"]
                    latencies.append(received - sent[workflow_id])
                    arrived[workflow_id].set()

        pollers = [asyncio.create_task(poller(n)) for n in range(args.pollers)]

        def task(i: int) -> DispatchTask:
            return DispatchTask(
                namespace="default",
                task_queue="bench",
                kind="activity",
                workflow_id=f"wf-{i}",
                run_id="run",
                scheduled_event_id=1,
                attempt=1,
            )

        # Warm up: connections, the consumer group, code paths.
        for i in range(min(200, args.tasks)):
            workflow_id = f"wf-{i}"
            arrived[workflow_id] = asyncio.Event()
            sent[workflow_id] = time.perf_counter()
            await store.add([task(i)])
            await arrived[workflow_id].wait()
        latencies.clear()
        await asyncio.sleep(0.5)  # every poller parked again

        processes = {"bench (workers + adder)": os.getpid(), **processes}
        cpu_before = {name: cpu_seconds(pid) for name, pid in processes.items()}
        started = time.perf_counter()
        first = 1_000_000
        for i in range(first, first + args.tasks):
            workflow_id = f"wf-{i}"
            arrived[workflow_id] = asyncio.Event()
            sent[workflow_id] = time.perf_counter()
            await store.add([task(i)])
            if args.rate <= 0:
                await arrived[workflow_id].wait()
            else:
                delay = started + (i - first + 1) / args.rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
        await asyncio.wait_for(
            asyncio.gather(*(arrived[f"wf-{i}"].wait() for i in range(first, first + args.tasks))),
            60,
        )
        elapsed = time.perf_counter() - started
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in processes.items()}
        stop.set()

        ms = [value * 1000 for value in latencies]
        mode = "one at a time" if args.rate <= 0 else f"{args.rate}/s offered"
        print(f"dispatch latency, enqueue -> poll answered ({args.pollers} pollers, {mode})")
        print(f"  tasks      {len(ms)} in {elapsed:.2f}s ({len(ms) / elapsed:.0f}/s)")
        print(
            f"  p50 {percentile(ms, 50):.2f} ms   p95 {percentile(ms, 95):.2f} ms   "
            f"p99 {percentile(ms, 99):.2f} ms   max {max(ms):.2f} ms   "
            f"mean {statistics.fmean(ms):.2f} ms"
        )
        print(
            "  CPU per task: "
            + ", ".join(
                f"{name} {seconds / len(ms) * 1000:.2f} ms" for name, seconds in cpu.items()
            )
        )
        async with session.get(f"{base}/metrics") as resp:
            server_side(await resp.text())
        for p in pollers:
            p.cancel()
        await asyncio.gather(*pollers, return_exceptions=True)
    finally:
        await session.close()
        await store.close()


async def delete_keys(redis_url: str, prefix: str) -> None:
    client: Any = Redis.from_url(redis_url)
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def server_side(metrics: str) -> None:
    """Matching's own view (task_queue_latency_seconds), including the warm-up tasks."""
    buckets: list[tuple[str, float]] = []
    for line in metrics.splitlines():
        if line.startswith("task_queue_latency_seconds_bucket") and 'queue_name="bench"' in line:
            le = line.split('le="')[1].split('"')[0]
            buckets.append((le, float(line.rsplit(" ", 1)[1])))
    if not buckets:
        return
    total = buckets[-1][1]
    shown = ", ".join(f"<= {le}s: {count / total:.1%}" for le, count in buckets[:3])
    print(f"  matching's task_queue_latency_seconds ({total:.0f} tasks): {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pollers", type=int, default=64)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=0, help="tasks/s; 0: one at a time")
    parser.add_argument(
        "--redis-url", default=os.environ.get("ODIN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--serve-history", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_history:
        serve_stub_history(args.serve_history)
        return
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    history_port, matching_port = free_port(), free_port()
    processes = start_processes(args, prefix, history_port, matching_port)
    try:
        pids = {"matching": processes[1].pid, "stub history": processes[0].pid}
        uvloop.run(run(args, prefix, history_port, matching_port, pids))
    finally:
        stop_processes(processes)
        # Only once matching is gone: a parked poll re-creates its stream if it vanishes.
        uvloop.run(delete_keys(args.redis_url, prefix))


if __name__ == "__main__":
    main()
