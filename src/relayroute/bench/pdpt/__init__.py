"""The Lyu & Yu pickup-and-delivery-with-transfers benchmark: reading it and checking routes
by its own rules (:mod:`~relayroute.bench.pdpt.read`), and converting it into relayroute
instances that the product's pipeline solves (:mod:`~relayroute.bench.pdpt.convert`)."""
