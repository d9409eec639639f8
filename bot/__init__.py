"""motcua: a one-stop public-service assistant for Telegram, Zalo and the terminal."""
