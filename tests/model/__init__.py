"""Tests of relayroute.model."""
