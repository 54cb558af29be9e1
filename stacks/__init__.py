"""One file per layer. A stack wires modules together from an environment's config."""
