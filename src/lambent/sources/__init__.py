"""Pollers: what reads a queue or a stream for an event source mapping and hands its records to
the mapping's function in batches (``sources.poller`` draws the protocol). A poller knows its
source's client and AWS's batching, failure and checkpoint rules; it knows nothing of functions
beyond the ``InvokeBatch`` it is given, and keeps its positions and leases in the store."""
