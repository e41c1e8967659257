"""The Lyu & Yu pickup-and-delivery-with-transfers benchmark: reading, its own model, checks."""
