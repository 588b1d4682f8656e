"""What the app says about a network: compiling it (shapes, counts, errors) and its lints."""
