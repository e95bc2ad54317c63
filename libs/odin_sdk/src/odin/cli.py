"""The ``odin`` command line: run the dev server, manage namespaces and workflows.

    odin dev                                   # all services in one process, Swagger UI on :8080
    odin namespace create --name payments
    odin workflow start --type OrderWorkflow --task-queue orders --input '[{"id": 1}]'
    odin workflow signal --id order-1 --signal approve
    odin workflow query --id order-1 --query status
    odin workflow result --id order-1

``--address`` (env ``ODIN_ADDRESS``, default http://localhost:8080) and ``--namespace``
(env ``ODIN_NAMESPACE``, default ``default``) say which server and namespace to talk to.
"""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

try:
    import typer
    from rich.console import Console
except ImportError as exc:  # pragma: no cover - the CLI extra is not installed
    raise SystemExit("the odin command needs the CLI extra: pip install 'odin-sdk[cli]'") from exc

from odin._http import Transport
from odin.client import Client
from odin.exceptions import RPCError, WorkflowFailureError

T = TypeVar("T")
app = typer.Typer(help="Odin: durable workflows.", no_args_is_help=True, add_completion=False)
namespace_app = typer.Typer(help="Manage namespaces.", no_args_is_help=True)
workflow_app = typer.Typer(help="Start and inspect workflows.", no_args_is_help=True)
app.add_typer(namespace_app, name="namespace")
app.add_typer(workflow_app, name="workflow")
console = Console()
err_console = Console(stderr=True)

Address = Annotated[
    str, typer.Option("--address", envvar="ODIN_ADDRESS", help="The frontend's URL.")
]
Namespace = Annotated[
    str, typer.Option("--namespace", "-n", envvar="ODIN_NAMESPACE", help="The namespace.")
]


def _run(coro: Awaitable[T]) -> T:
    try:
        return asyncio.run(coro)  # type: ignore[arg-type]
    except RPCError as exc:
        err_console.print(f"[red]error[/red] {exc.code}: {exc.message}")
        raise typer.Exit(1) from exc
    except WorkflowFailureError as exc:
        err_console.print(f"[red]workflow {exc.status}[/red]: {exc.cause}")
        raise typer.Exit(2) from exc


def _print(doc: Any) -> None:
    console.print_json(json.dumps(doc, default=str))


async def _with_transport(address: str, fn: Callable[[Transport], Awaitable[T]]) -> T:
    transport = Transport(address, retry_for=5)
    try:
        return await fn(transport)
    finally:
        await transport.close()


async def _with_client(address: str, namespace: str, fn: Callable[[Client], Awaitable[T]]) -> T:
    client = await Client.connect(address, namespace=namespace)
    try:
        return await fn(client)
    finally:
        await client.close()


@app.command()
def dev(
    port: Annotated[int, typer.Option(help="Port of the public API and Swagger UI.")] = 8080,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    db: Annotated[str, typer.Option(help="SQLite file that keeps the state.")] = "odin-dev.db",
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run all four services in one process on SQLite (no PostgreSQL or Redis needed)."""
    try:
        from odin_devserver import DevServer
    except ImportError:
        err_console.print("odin dev needs the embedded server: pip install 'odin-sdk[dev]'")
        raise typer.Exit(1) from None
    from odin_common.logs import configure_logging

    configure_logging(log_level)

    async def serve() -> None:
        server = DevServer(database=db, port=port, host=host, log_level=log_level)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await server.start()
        console.print(f"[bold green]Odin dev server[/] on {server.url}")
        console.print(f"  Swagger UI   {server.url}/docs")
        console.print(f"  database     {server.db_url}")
        console.print("  Ctrl-C stops it.")
        try:
            await stop.wait()
        finally:
            await server.stop()

    asyncio.run(serve())


@namespace_app.command("create")
def namespace_create(
    name: Annotated[str, typer.Option("--name", help="Namespace name.")],
    description: Annotated[str, typer.Option(help="What it is for.")] = "",
    retention_days: Annotated[int, typer.Option(help="Days closed workflows are kept.")] = 30,
    address: Address = "http://localhost:8080",
) -> None:
    """Create a namespace."""

    async def go(t: Transport) -> Any:
        body = {"name": name, "description": description, "retention_days": retention_days}
        return (await t.call("POST", "/api/v1/namespaces", json=body, retry=False)).json()

    _print(_run(_with_transport(address, go)))


@namespace_app.command("list")
def namespace_list(address: Address = "http://localhost:8080") -> None:
    """List namespaces."""

    async def go(t: Transport) -> Any:
        return (await t.call("GET", "/api/v1/namespaces", params={"page_size": 1000})).json()

    _print(_run(_with_transport(address, go)))


@namespace_app.command("describe")
def namespace_describe(
    name: Annotated[str, typer.Option("--name", help="Namespace name.")],
    address: Address = "http://localhost:8080",
) -> None:
    """Show a namespace."""

    async def go(t: Transport) -> Any:
        return (await t.call("GET", f"/api/v1/namespaces/{quote(name, safe='')}")).json()

    _print(_run(_with_transport(address, go)))


def _parse_input(text: str | None) -> list[Any]:
    if not text:
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"--input is not JSON: {exc}") from exc
    return value if isinstance(value, list) else [value]


@workflow_app.command("start")
def workflow_start(
    workflow_type: Annotated[str, typer.Option("--type", help="Workflow type.")],
    task_queue: Annotated[str, typer.Option("--task-queue", "-q", help="Task queue.")],
    workflow_id: Annotated[
        str | None, typer.Option("--id", help="Workflow id (default: a UUID).")
    ] = None,
    input_json: Annotated[
        str | None, typer.Option("--input", help="JSON: an array of arguments, or one argument.")
    ] = None,
    address: Address = "http://localhost:8080",
    namespace: Namespace = "default",
) -> None:
    """Start a workflow."""
    args = _parse_input(input_json)

    async def go(c: Client) -> Any:
        handle = await c.start_workflow(
            workflow_type, args=args, id=workflow_id or str(uuid.uuid4()), task_queue=task_queue
        )
        return {"workflow_id": handle.id, "run_id": handle.result_run_id}

    _print(_run(_with_client(address, namespace, go)))


@workflow_app.command("describe")
def workflow_describe(
    workflow_id: Annotated[str, typer.Option("--id", help="Workflow id.")],
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="A run (default: the latest).")
    ] = None,
    address: Address = "http://localhost:8080",
    namespace: Namespace = "default",
) -> None:
    """Show a workflow's status, pending activities and workflow task."""

    async def go(c: Client) -> Any:
        return (await c.get_workflow_handle(workflow_id, run_id=run_id).describe()).raw

    _print(_run(_with_client(address, namespace, go)))


@workflow_app.command("result")
def workflow_result(
    workflow_id: Annotated[str, typer.Option("--id", help="Workflow id.")],
    address: Address = "http://localhost:8080",
    namespace: Namespace = "default",
) -> None:
    """Wait for a workflow's result."""

    async def go(c: Client) -> Any:
        return await c.get_workflow_handle(workflow_id).result()

    _print(_run(_with_client(address, namespace, go)))


@workflow_app.command("terminate")
def workflow_terminate(
    workflow_id: Annotated[str, typer.Option("--id", help="Workflow id.")],
    reason: Annotated[str | None, typer.Option(help="Why (recorded in history).")] = None,
    address: Address = "http://localhost:8080",
    namespace: Namespace = "default",
) -> None:
    """Terminate a workflow at once (no workflow code runs)."""

    async def go(c: Client) -> None:
        await c.get_workflow_handle(workflow_id).terminate(reason)

    _run(_with_client(address, namespace, go))
    console.print(f"terminated {workflow_id}")


@workflow_app.command("signal")
def workflow_signal(
    workflow_id: Annotated[str, typer.Option("--id", help="Workflow id.")],
    signal_name: Annotated[str, typer.Option("--signal", help="Signal name.")],
    input_json: Annotated[
        str | None, typer.Option("--input", help="JSON: an array of arguments, or one argument.")
    ] = None,
    address: Address = "http://localhost:8080",
    namespace: Namespace = "default",
) -> None:
    """Send a signal to a running workflow."""
    args = _parse_input(input_json)

    async def go(c: Client) -> None:
        await c.get_workflow_handle(workflow_id).signal(signal_name, *args)

    _run(_with_client(address, namespace, go))
    console.print(f"signalled {workflow_id}: {signal_name}")


@workflow_app.command("query")
def workflow_query(
    workflow_id: Annotated[str, typer.Option("--id", help="Workflow id.")],
    query_name: Annotated[str, typer.Option("--query", help="Query name.")],
    input_json: Annotated[
        str | None, typer.Option("--input", help="JSON: an array of arguments, or one argument.")
    ] = None,
    address: Address = "http://localhost:8080",
    namespace: Namespace = "default",
) -> None:
    """Ask a workflow a question (a worker answers it from the workflow's state)."""
    args = _parse_input(input_json)

    async def go(c: Client) -> Any:
        return await c.get_workflow_handle(workflow_id).query(query_name, *args)

    _print(_run(_with_client(address, namespace, go)))


@workflow_app.command("cancel")
def workflow_cancel(
    workflow_id: Annotated[str, typer.Option("--id", help="Workflow id.")],
    reason: Annotated[str | None, typer.Option(help="Why (recorded in history).")] = None,
    address: Address = "http://localhost:8080",
    namespace: Namespace = "default",
) -> None:
    """Ask a workflow to cancel (it may clean up first)."""

    async def go(c: Client) -> None:
        await c.get_workflow_handle(workflow_id).cancel(reason)

    _run(_with_client(address, namespace, go))
    console.print(f"cancel requested for {workflow_id}")


@workflow_app.command("history")
def workflow_history(
    workflow_id: Annotated[str, typer.Option("--id", help="Workflow id.")],
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="A run (default: the latest).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="Write the JSON here (for odin.testing.Replayer).")
    ] = None,
    address: Address = "http://localhost:8080",
    namespace: Namespace = "default",
) -> None:
    """Print (or save) a run's event history."""

    async def go(c: Client) -> Any:
        return (await c.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()).to_json()

    doc = _run(_with_client(address, namespace, go))
    if output is not None:
        output.write_text(json.dumps(doc, indent=2) + "\n")
        console.print(f"wrote {len(doc['events'])} events to {output}")
    else:
        _print(doc)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
