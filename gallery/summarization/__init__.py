"""Text summarisation and headline generation, English and Russian."""
