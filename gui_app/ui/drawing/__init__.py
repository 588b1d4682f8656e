"""Drawing a digit: the pad and the panel that shows what the model read."""
