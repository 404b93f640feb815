"""Facial emotion recognition: FER2013 loaders, a CNN on face crops, per-face predictions on photos."""
