"""Several `socketchat serve` nodes as one server: the log-replicated core (docs/cluster.md).

Sans-I/O, like the core it drives: `entries.py` is the log entry codec, `replica.py` the
applier (the core's `Sequencer`). The Redis side — appending, reading, leases — is
`server/net/cluster.py`.
"""
