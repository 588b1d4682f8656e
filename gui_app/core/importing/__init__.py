"""Bringing a model onto the canvas: ONNX, torch.export and NetBuilder Python files -> projects."""
