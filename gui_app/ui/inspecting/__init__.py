"""Looking inside the network: the block view of what each block makes of an image."""
