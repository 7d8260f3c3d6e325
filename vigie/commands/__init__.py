"""The commands of `vigie`, one module per area; each exposes `register(app)`."""
