"""Channel-agnostic conversation logic: messages in, replies out."""
