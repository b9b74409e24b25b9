"""What the app knows about the account, with no Textual: plain objects that worker threads
read and the UI thread replaces. See docs/architecture.md."""
