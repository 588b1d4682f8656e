"""Reading handwritten digits: the MNIST-style preprocessing and the model that reads them."""
