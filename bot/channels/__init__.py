"""Channel adapters: translate between a platform and the core, nothing more."""
