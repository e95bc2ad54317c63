"""Odin's Python SDK: write workflows and activities, run workers, start and query workflows.

    from odin import workflow, activity
    from odin.client import Client
    from odin.worker import Worker

See ``odin.workflow``, ``odin.activity``, ``odin.client``, ``odin.worker``, ``odin.testing``.
"""

from odin import activity, workflow
from odin.common import RetryPolicy

__all__ = ["RetryPolicy", "activity", "workflow"]
__version__ = "0.1.0"
