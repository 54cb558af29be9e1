"""Reusable constructs, one concern per file. Constructs take typed settings and
know nothing of environments; stacks/ wires them from an environment's config."""
