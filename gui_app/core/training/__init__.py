"""Training a network: the Trainer and its events, device data, optimisation, checkpoints, models."""
