"""The Textual user interface: thin, over the broker layer."""
