"""Event logs decoded fast (``decoder.Decoder``, with ``words`` reading the common ABI shapes straight from the
data): what the index and the bulk path share, web3.py's results without its per-log cost."""
