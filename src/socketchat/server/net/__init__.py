"""asyncio adapters: listeners and transports that feed bytes into the sans-I/O server core."""
