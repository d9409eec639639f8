"""The procedure catalogue: model, import, Vietnamese folding, search and cards."""
