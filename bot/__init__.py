"""Application shell of the Community Center bot: settings, wiring, start-up."""
