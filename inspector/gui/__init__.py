"""Qt widgets and thin Qt models over the core."""
