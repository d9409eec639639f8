"""Machine-readable contracts of the bot's HTTP APIs (OpenAPI documents shipped as package data)."""
