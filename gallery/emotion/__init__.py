"""Facial emotion recognition: FER2013 loaders (models, training and app to follow)."""
