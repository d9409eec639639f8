"""The leaders' report put into words and pictures: text, chat markup, CSV, and the PNG chart."""
