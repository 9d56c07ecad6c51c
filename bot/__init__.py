"""Runtime: CLI, settings, transports, the sender and workers."""
