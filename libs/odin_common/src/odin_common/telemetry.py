"""OpenTelemetry tracing: spans for every request when HUGO_ORCHESTRATOR_OTLP_ENDPOINT is set.

The exporter is OTLP over HTTP (port 4318 of a collector), which needs no gRPC stack.
Span attributes follow the seeds: ``workflow.namespace``, ``workflow.id``, ``workflow.run_id``,
``workflow.type``, ``workflow.task_queue``, ``activity.type``, ``activity.id``.
"""

from __future__ import annotations

from fastapi import FastAPI


def configure_tracing(app: FastAPI, service_name: str, otlp_endpoint: str | None) -> None:
    if not otlp_endpoint:
        return
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"odin-{service_name}"}))
    endpoint = otlp_endpoint.rstrip("/")
    if not endpoint.endswith("/v1/traces"):
        endpoint += "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)
