"""The pass service over HTTP: one instance and its plan, served by FastAPI on uvicorn.

:func:`~relayroute.service.app.create_app` builds the application; ``relayroute serve``
runs it (:func:`~relayroute.service.app.serve`), bound to 127.0.0.1 by default. It answers
``GET /health``, ``/plan``, ``/passes``, ``/explain/{shipment}``, ``POST /validate`` and
``POST /insert`` (a new trip put into the plan, the passes to issue for it), saving each
change to its state folder (:mod:`relayroute.service.state`) before it answers.
"""

from relayroute.service.app import MAX_BODY_BYTES, create_app, serve

__all__ = ["MAX_BODY_BYTES", "create_app", "serve"]
