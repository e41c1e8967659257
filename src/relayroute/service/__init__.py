"""The pass service over HTTP: one instance and its plan, served by FastAPI on uvicorn.

:func:`~relayroute.service.app.create_app` builds the application; ``relayroute serve``
runs it (:func:`~relayroute.service.app.serve`), bound to 127.0.0.1 by default. What it
answers today: ``GET /health``, ``GET /plan``, ``GET /passes``, ``POST /validate``.
Inserting a trip into the plan (``POST /insert``) is not built yet (issue 17).
"""

from relayroute.service.app import MAX_BODY_BYTES, create_app, serve

__all__ = ["MAX_BODY_BYTES", "create_app", "serve"]
