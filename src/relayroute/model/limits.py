"""The limits an instance is held to (the table in :mod:`relayroute.model.instance`).

Apart from the models so that the checks across objects (:mod:`relayroute.model.checks`),
which every :class:`~relayroute.model.instance.Instance` runs when it is made, can name
them without importing the models back.
"""

MAX_MINUTES = 1e7
MAX_AMOUNT = 1e9
MAX_PRIORITY = 1e3
MAX_WEIGHT = 1e10
MAX_POOL = 100_000
MAX_BAYS = 100_000

MAX_INPUT_BYTES = 200_000_000
MAX_SHIPMENTS = 100_000
MAX_PLACES = 200_000
MAX_TRUCKS = 20_000
MAX_OBJECTS = 10_000
MAX_VERTICES = 100_000
MAX_ENTRIES = 10_000
MAX_DIMENSIONS = 100
MAX_COORDINATE = 1e9

# Every limit message says this, so that readers can tell a limit from a schema rule.
LIMIT_NOTE = "relayroute's input limit"
