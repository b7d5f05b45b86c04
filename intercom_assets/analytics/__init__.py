"""Support analytics over the mirror: reference data and response/resolution metrics."""
