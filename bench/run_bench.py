"""Throughput and latency of Odin on one machine: the four services as separate processes on
PostgreSQL + Redis, one SDK worker process, and this process as the client.

    make bench                                  # 1000 one-activity workflows, 100 at a time
    make bench ARGS="--workflows 300 --workflow TenActivities"
    make bench ARGS="--idle 200"                # latency on an idle system, one at a time

It creates a fresh database (on ODIN_TEST_DATABASE_URL's server) and uses a private Redis
prefix, prints completions per second and start-to-close latency percentiles (from the
server's own start and close times), and leaves nothing behind.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from odin.client import Client
from odin_common.testing.pytest_plugin import REDIS_URL, create_test_database, drop_test_database
from odin_devserver.cluster import ProcessCluster

HERE = Path(__file__).resolve().parent


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


async def run_load(
    client: Client, workflow: str, count: int, concurrency: int
) -> tuple[float, list[str]]:
    semaphore = asyncio.Semaphore(concurrency)
    ids: list[str] = []

    async def one(i: int) -> None:
        async with semaphore:
            workflow_id = f"bench-{uuid.uuid4().hex[:12]}"
            handle = await client.start_workflow(workflow, i, id=workflow_id, task_queue="bench")
            result = await handle.result()
            expected = i if workflow == "OneActivity" else i + 45
            assert result == expected, (result, expected)
            ids.append(workflow_id)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    return time.perf_counter() - started, ids


async def latencies(client: Client, ids: list[str]) -> list[float]:
    out = []
    semaphore = asyncio.Semaphore(32)

    async def one(workflow_id: str) -> None:
        async with semaphore:
            desc = await client.get_workflow_handle(workflow_id).describe()
            assert desc.start_time is not None
            assert desc.close_time is not None
            out.append((desc.close_time - desc.start_time).total_seconds() * 1000)

    await asyncio.gather(*(one(i) for i in ids))
    return out


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pids_named(name: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def cpu_snapshot(processes: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each Odin process, PostgreSQL and Redis (Linux only)."""
    if not Path("/proc/self/stat").exists():
        return {}
    snapshot = {name: _cpu_seconds(pid) for name, pid in processes.items()}
    snapshot["client"] = _cpu_seconds(os.getpid())
    snapshot["postgres"] = sum(_cpu_seconds(pid) for pid in _pids_named("postgres"))
    snapshot["redis"] = sum(_cpu_seconds(pid) for pid in _pids_named("redis-server"))
    return snapshot


def report_cpu(before: dict[str, float], after: dict[str, float], count: int) -> None:
    if not before:
        return
    used = {name: after[name] - before[name] for name in before}
    parts = "  ".join(f"{name} {seconds * 1000 / count:.1f}" for name, seconds in used.items())
    print(f"  CPU ms per workflow      {parts}  (total {sum(used.values()) * 1000 / count:.1f})")


async def dispatch_histogram(matching_url: str) -> dict[float, float]:
    """Matching's ``task_queue_latency_seconds`` (task queued -> handed to a waiting poller,
    history's record-started call included), summed over queues: {bucket bound: count}."""
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{matching_url}/metrics")).text
    buckets: dict[float, float] = {}
    for line in text.splitlines():
        if line.startswith("task_queue_latency_seconds_bucket{"):
            labels, value = line.rsplit(" ", 1)
            bound = labels.split('le="', 1)[1].split('"', 1)[0]
            key = float("inf") if bound == "+Inf" else float(bound)
            buckets[key] = buckets.get(key, 0.0) + float(value)
    return buckets


def report_dispatch(before: dict[float, float], after: dict[float, float]) -> None:
    counts = {bound: after[bound] - before.get(bound, 0.0) for bound in sorted(after)}
    total = counts.get(float("inf"), 0.0)
    if not total:
        return

    def bound_of(p: float) -> str:
        bound = next(b for b, n in counts.items() if n >= p / 100 * total)
        return "> 5 min" if bound == float("inf") else f"<= {bound * 1000:g}"

    within = counts.get(0.003, 0.0) / total * 100
    print(
        f"  dispatch latency ms      p50 {bound_of(50)}  p99 {bound_of(99)}  "
        f"({within:.1f}% of {int(total)} hand-overs within 3 ms; histogram buckets)"
    )


def report(title: str, elapsed: float, count: int, lat: list[float], activities: int) -> None:
    print(f"\n{title}")
    print(f"  workflows completed      {count} in {elapsed:.2f} s")
    print(f"  workflows per second     {count / elapsed:.1f}")
    if activities > 1:
        print(f"  activities per second    {count * activities / elapsed:.1f}")
    print(
        "  start->close latency ms  "
        f"p50 {percentile(lat, 50):.1f}  p95 {percentile(lat, 95):.1f}  "
        f"p99 {percentile(lat, 99):.1f}  mean {statistics.fmean(lat):.1f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workflows", type=int, default=1000, help="workflows to run under load")
    parser.add_argument("--concurrency", type=int, default=100, help="workflows in flight")
    parser.add_argument(
        "--workflow", default="OneActivity", choices=["OneActivity", "TenActivities"]
    )
    parser.add_argument(
        "--idle", type=int, default=100, help="workflows run one at a time (0: skip)"
    )
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument(
        "--no-sticky", action="store_true", help="the worker caches no runs (replays every task)"
    )
    parser.add_argument(
        "--no-eager",
        action="store_true",
        help="activities go through the task queue (no eager execution)",
    )
    args = parser.parse_args()

    db_url = create_test_database()
    logs = Path(tempfile.mkdtemp(prefix="odin-bench-"))
    cluster = ProcessCluster(
        db_url=db_url,
        redis_url=REDIS_URL,
        log_dir=logs,
        env={
            "HUGO_ORCHESTRATOR_REDIS_KEY_PREFIX": f"odinbench-{uuid.uuid4().hex[:8]}",
            "HUGO_ORCHESTRATOR_LOG_LEVEL": "warning",
        },
    )
    worker: subprocess.Popen[bytes] | None = None
    try:
        await cluster.start()
        worker = subprocess.Popen(
            [sys.executable, str(HERE / "bench_apps.py"), cluster.frontend_url]
            + (["--no-sticky"] if args.no_sticky else [])
            + (["--no-eager"] if args.no_eager else []),
            stdout=(logs / "worker.log").open("ab"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        client = await Client.connect(cluster.frontend_url)
        sticky = "off" if args.no_sticky else "on"
        eager = "off" if args.no_eager else "on"
        print(
            f"Odin benchmark: 4 service processes + 1 worker process on {os.cpu_count()} cores, "
            f"sticky execution {sticky}, eager activities {eager}"
        )
        print(f"  logs in {logs}")
        await run_load(client, args.workflow, args.warmup, 20)
        if args.idle:
            dispatch_before = await dispatch_histogram(cluster.url("matching"))
            elapsed, ids = await run_load(client, args.workflow, args.idle, 1)
            report(
                f"{args.workflow}, one at a time (idle system)",
                elapsed,
                args.idle,
                await latencies(client, ids),
                10 if args.workflow == "TenActivities" else 1,
            )
            report_dispatch(dispatch_before, await dispatch_histogram(cluster.url("matching")))
        pids = {name: process.pid for name, process in cluster.processes.items()}
        pids["worker"] = worker.pid
        before = cpu_snapshot(pids)
        elapsed, ids = await run_load(client, args.workflow, args.workflows, args.concurrency)
        after = cpu_snapshot(pids)
        report(
            f"{args.workflow}, {args.concurrency} in flight",
            elapsed,
            args.workflows,
            await latencies(client, ids),
            10 if args.workflow == "TenActivities" else 1,
        )
        report_cpu(before, after, args.workflows)
        await client.close()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        cluster.stop()
        drop_test_database(db_url)


if __name__ == "__main__":
    asyncio.run(main())
