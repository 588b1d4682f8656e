"""A network as files other programs use: Python source, TorchScript, ONNX, pt2, training scripts."""
