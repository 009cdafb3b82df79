"""The runtime: settings, database, channels, HTTP server, scheduler and CLI."""
